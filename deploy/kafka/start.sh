#!/bin/bash
# The kafka service's command: format the storage once, with the SCRAM users (KRaft keeps them in its
# metadata log, so they exist before any client connects), then run the broker.
set -euo pipefail
config=/etc/modstream/kafka/server.properties
if [ ! -f /var/lib/kafka/data/meta.properties ]; then
  /opt/kafka/bin/kafka-storage.sh format --config "$config" --cluster-id "${KAFKA_CLUSTER_ID:?}" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=${KAFKA_ADMIN_PASSWORD:?}]" \
    --add-scram "SCRAM-SHA-512=[name=modstream,password=${KAFKA_MODSTREAM_PASSWORD:?}]" \
    --add-scram "SCRAM-SHA-512=[name=upstream,password=${KAFKA_UPSTREAM_PASSWORD:?}]"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$config"
