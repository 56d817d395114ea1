# Built by SamTemplateIT from the local fixture image: no registry involved.
FROM esb-fixture:latest
ARG GREETING_ARG=unset
ENV GREETING=${GREETING_ARG}
