package io.esb.reload;

import com.typesafe.config.ConfigFactory;
import io.esb.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigReloaderTest {

    @Test
    void namesChangedKeysOutsideTheFunctionsWithoutValuesOrUserNames() {
        var before = ConfigFactory.parseString("""
                esb.http.port = 9000
                esb.containers.idle-timeout = 5m
                esb.auth.users { alice = "pw1" }
                esb.functions.a { image = "x" }
                esb.docker-dispatcher.thread-pool-executor.fixed-pool-size = 20
                akka.loglevel = INFO
                """).withFallback(ConfigFactory.defaultReference()).resolve();
        var after = ConfigFactory.parseString("""
                esb.http.port = 9001
                esb.containers.idle-timeout = 5m
                esb.auth.users { alice = "pw2", bob = "pw3" }
                esb.docker.instance-id = "other"
                esb.functions.b { image = "y" }
                esb.docker-dispatcher.thread-pool-executor.fixed-pool-size = 4
                esb.sam.stack-name = "other"   # the SAM template's functions change live
                akka.loglevel = DEBUG
                """).withFallback(ConfigFactory.defaultReference()).resolve();

        assertThat(ConfigReloader.changedOutsideFunctions(before, after))
                .containsExactly("esb.auth.users", "esb.docker.instance-id", "esb.http.port");
        assertThat(ConfigReloader.changedOutsideFunctions(before, before)).isEmpty();
    }

    @Test
    void reloadSettingsAreValidatedWithTheKeyNamed() {
        var defaults = ReloadSettings.fromConfig(ConfigFactory.defaultReference().resolve());
        assertThat(defaults).isEqualTo(new ReloadSettings(true, Duration.ofMillis(500)));
        assertThat(ReloadSettings.fromConfig(ConfigFactory.parseString("esb.reload { watch = off, debounce = 0s }")))
                .isEqualTo(new ReloadSettings(false, Duration.ZERO));
        assertThatThrownBy(() -> ReloadSettings.fromConfig(ConfigFactory.parseString("esb.reload { watch = maybe, debounce = 1s }")))
                .isInstanceOf(ConfigException.class).hasMessage("Invalid configuration at 'esb.reload.watch': must be on or off");
        assertThatThrownBy(() -> ReloadSettings.fromConfig(ConfigFactory.parseString("esb.reload { watch = on, debounce = soon }")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("Invalid configuration at 'esb.reload.debounce'");
        assertThatThrownBy(() -> ReloadSettings.fromConfig(ConfigFactory.parseString("esb.reload { watch = on, debounce = 2m }")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("Invalid configuration at 'esb.reload.debounce'");
    }
}
