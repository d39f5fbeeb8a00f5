#!/bin/bash
# Run a Kafka tool as the admin principal: `admin.sh kafka-acls.sh --add ...` (the healthcheck and acls.sh).
set -euo pipefail
properties=$(mktemp)
trap 'rm -f "$properties"' EXIT
cat > "$properties" <<PROPERTIES
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${KAFKA_ADMIN_PASSWORD:?}";
PROPERTIES
tool=$1
shift
"/opt/kafka/bin/$tool" --bootstrap-server kafka:9092 --command-config "$properties" "$@"
