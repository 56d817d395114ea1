package io.esb.observability;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class RequestIdsTest {
    @Test
    void newIdsAreDistinctVersion4Uuids() {
        var seen = new HashSet<String>();
        for (int i = 0; i < 10_000; i++) {
            var id = RequestIds.newId();
            var uuid = UUID.fromString(id);
            assertThat(uuid.version()).isEqualTo(4);
            assertThat(uuid.variant()).isEqualTo(2);
            assertThat(id).hasSize(36).isEqualTo(uuid.toString());
            seen.add(id);
        }
        assertThat(seen).hasSize(10_000);
    }

    @Test
    void aSafeCallerIdIsKeptAndAnUnsafeOneReplaced() {
        assertThat(RequestIds.fromHeaderOrNew("trace-1.2:3")).isEqualTo("trace-1.2:3");
        var replaced = RequestIds.fromHeaderOrNew("bad id\nwith newline");
        assertThat(UUID.fromString(replaced).version()).isEqualTo(4);
        assertThat(RequestIds.fromHeaderOrNew(null)).hasSize(36);
    }
}
