"""The HTTP gateway: upstream apps without a Kafka producer submit requests and read their ends over HTTP."""
