"""Apache Ignite thin-client protocol: asynchronous client, embedded server and codec."""
