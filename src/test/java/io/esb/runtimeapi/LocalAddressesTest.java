package io.esb.runtimeapi;

import io.esb.docker.DockerOps;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LocalAddressesTest {
    private static final DockerOps.NetworkAddresses BRIDGE = new DockerOps.NetworkAddresses("172.17.0.1", "172.17.0.0/16");

    @Test
    void onTheHostItIsTheNetworksGateway() {
        assertThat(LocalAddresses.choose(BRIDGE, List.of("127.0.0.1", "10.0.0.5", "172.17.0.1"))).isEqualTo("172.17.0.1");
    }

    @Test
    void inAContainerOnTheNetworkItIsItsOwnAddressThere() {
        var network = new DockerOps.NetworkAddresses("172.20.0.1", "172.20.0.0/16");
        assertThat(LocalAddresses.choose(network, List.of("127.0.0.1", "172.20.0.3"))).isEqualTo("172.20.0.3");
    }

    @Test
    void whenDockerNamesOnlyTheSubnetItIsThisMachinesAddressInIt() {
        var subnetOnly = new DockerOps.NetworkAddresses(null, "172.17.0.0/16");
        assertThat(LocalAddresses.choose(subnetOnly, List.of("127.0.0.1", "10.0.0.5", "172.17.0.1"))).isEqualTo("172.17.0.1");
        assertThat(LocalAddresses.choose(subnetOnly, List.of("127.0.0.1", "10.0.0.5"))).isNull();
    }

    @Test
    void noneWhenThisMachineIsNotOnTheNetwork() {
        assertThat(LocalAddresses.choose(BRIDGE, List.of("127.0.0.1", "10.0.0.5"))).isNull();
        assertThat(LocalAddresses.inSubnet("172.18.0.2", "172.17.0.0/16")).isFalse();
        assertThat(LocalAddresses.inSubnet("172.17.255.254", "172.17.0.0/16")).isTrue();
        assertThat(LocalAddresses.inSubnet("172.17.0.2", null)).isFalse();
    }
}
