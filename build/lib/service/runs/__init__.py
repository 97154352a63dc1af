"""Agent runs: admission, execution into contract events, leases and recovery, tool limits."""
