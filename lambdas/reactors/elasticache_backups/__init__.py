"""AFSBP ElastiCache.1: schedule automatic backups of an ElastiCache (Redis OSS/Valkey) group."""
