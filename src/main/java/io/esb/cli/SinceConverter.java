package io.esb.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/** {@code --since}: a span back from now ({@code 90s}, {@code 10m}, {@code 2h}, {@code 1d}) or an instant ({@code 2025-01-31T12:00:00Z}). */
final class SinceConverter implements ITypeConverter<Instant> {
    private static final Pattern SPAN = Pattern.compile("(\\d{1,9})([smhd])");

    @Override
    public Instant convert(String value) {
        var span = SPAN.matcher(value.strip());
        if (span.matches()) {
            long amount = Long.parseLong(span.group(1));
            var duration = switch (span.group(2)) {
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
            return Instant.now().minus(duration);
        }
        try {
            return Instant.parse(value.strip());
        } catch (DateTimeParseException e) {
            throw new TypeConversionException("'" + value + "' is neither a span such as 10m, 2h, 1d nor an instant such as 2025-01-31T12:00:00Z");
        }
    }
}
