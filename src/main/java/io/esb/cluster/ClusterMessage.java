package io.esb.cluster;

/** A message that crosses between nodes; {@link ClusterSerializer} writes every one (bound in esb-akka.conf). */
public interface ClusterMessage {}
