#!/bin/bash
# The kafka-acls job: modstream's own parts may use every topic and group; upstream apps may only write
# requests and submissions and read outcomes (in consumer groups named upstream-*).
set -euo pipefail
acl() { /etc/modstream/kafka/admin.sh kafka-acls.sh --add --force "$@"; }
acl --allow-principal User:modstream --operation All --topic '*' --group '*'
acl --allow-principal User:modstream --operation Create --operation Describe --cluster
for topic in requests submissions; do
  acl --allow-principal User:upstream --operation Write --operation Describe --topic "$topic"
done
acl --allow-principal User:upstream --operation Read --operation Describe --topic outcomes
acl --allow-principal User:upstream --operation Read --group upstream- --resource-pattern-type prefixed
