"""The review service: the review queue and audit store fed from Kafka, a JSON API and the web console."""
