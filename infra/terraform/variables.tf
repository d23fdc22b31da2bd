# --- Where ---

variable "cloud_id" {
  description = "Yandex Cloud cloud ID that holds the folder."
  type        = string
}

variable "folder_id" {
  description = "Folder ID every resource of this deployment is created in."
  type        = string
}

variable "name" {
  description = "Prefix of every resource name, e.g. messenger-prod."
  type        = string
  default     = "messenger-prod"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}[a-z0-9]$", var.name))
    error_message = "name: 4-32 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "labels" {
  description = "Labels added to every resource that takes them."
  type        = map(string)
  default     = {}
}

variable "subnet_cidrs" {
  description = "One private subnet per availability zone: zone => IPv4 CIDR. Hosts of every cluster and instance group are spread over these zones."
  type        = map(string)
  default = {
    "ru-central1-a" = "10.20.0.0/24"
    "ru-central1-b" = "10.20.1.0/24"
    "ru-central1-d" = "10.20.2.0/24"
  }

  validation {
    # Customers' data must stay in Russia: only the ru-central1 region.
    condition     = length(var.subnet_cidrs) >= 2 && alltrue([for zone in keys(var.subnet_cidrs) : startswith(zone, "ru-central1-")])
    error_message = "subnet_cidrs: at least two zones, all in ru-central1."
  }

  validation {
    condition     = alltrue([for cidr in values(var.subnet_cidrs) : can(cidrhost(cidr, 0))])
    error_message = "subnet_cidrs: every value must be an IPv4 CIDR block."
  }
}

# --- Hosts ---

variable "base_host" {
  description = "Host the product lives on (BASE_HOST): signup and console on it, each company's panel on <subdomain>.<base_host>. A public DNS zone for it is created here."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})$", var.base_host))
    error_message = "base_host: a lowercase DNS name such as chat.example.ru (punycode for .рф), without scheme, port or trailing dot."
  }
}

# --- Application image and roles ---

variable "image_tag" {
  description = "Tag of the messenger image in the Container Registry that the web, worker, beat and deadlines roles run (an immutable tag such as the git commit)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag: a Docker tag other than latest."
  }
}

variable "migration_image_tag" {
  description = "Image tag to run `migrate_schemas` with before a rollout. When set, the migrate instance group runs one instance that applies migrations and exits; null keeps it at zero."
  type        = string
  default     = null
  nullable    = true

  validation {
    condition     = var.migration_image_tag == null || can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", coalesce(var.migration_image_tag, "-")))
    error_message = "migration_image_tag: a Docker tag, or null."
  }
}

variable "web_workers" {
  description = "uvicorn worker processes per web instance (`--workers`). Each holds its own database connections (see README, Scaling)."
  type        = number
  default     = 2

  validation {
    condition     = var.web_workers >= 1 && var.web_workers <= 16 && floor(var.web_workers) == var.web_workers
    error_message = "web_workers: a whole number from 1 to 16."
  }
}

variable "web_db_pool_max_size" {
  description = "Database connections each web process may hold at most (its pool's bound, DB_POOL_MAX_SIZE). See README, Scaling."
  type        = number
  default     = 10

  validation {
    condition     = var.web_db_pool_max_size >= 2 && var.web_db_pool_max_size <= 100 && floor(var.web_db_pool_max_size) == var.web_db_pool_max_size
    error_message = "web_db_pool_max_size: a whole number from 2 to 100."
  }
}

variable "web_min_instances_per_zone" {
  description = "Fewest web instances kept in each zone by the autoscaler."
  type        = number
  default     = 1

  validation {
    condition     = var.web_min_instances_per_zone >= 1
    error_message = "web_min_instances_per_zone: at least 1, so every zone can serve."
  }
}

variable "web_max_instances" {
  description = "Most web instances the autoscaler may run across all zones."
  type        = number
  default     = 9
}

variable "web_cpu_target" {
  description = "Average CPU utilisation (percent) the web autoscaler keeps instances at."
  type        = number
  default     = 65

  validation {
    condition     = var.web_cpu_target >= 20 && var.web_cpu_target <= 90
    error_message = "web_cpu_target: between 20 and 90 percent."
  }
}

variable "worker_instances" {
  description = "Celery worker instances (`celery -A messenger worker`)."
  type        = number
  default     = 2

  validation {
    condition     = var.worker_instances >= 1
    error_message = "worker_instances: at least 1; events, webhooks and notifications run there."
  }
}

variable "worker_concurrency" {
  description = "Celery worker processes per worker instance (`--concurrency`)."
  type        = number
  default     = 4

  validation {
    condition     = var.worker_concurrency >= 1 && var.worker_concurrency <= 32
    error_message = "worker_concurrency: from 1 to 32."
  }
}

variable "deadlines_instances" {
  description = "Deadline runners (`manage.py deadlines_run`); any number may run at once, two survive the loss of a zone."
  type        = number
  default     = 2

  validation {
    condition     = var.deadlines_instances >= 1
    error_message = "deadlines_instances: at least 1; escalations and presence timers need a runner."
  }
}

variable "instance_resources" {
  description = "vCPUs, memory (GB) and guaranteed CPU share (percent) of one instance of each role."
  type = map(object({
    cores         = number
    memory        = number
    core_fraction = number
  }))
  default = {
    web       = { cores = 2, memory = 4, core_fraction = 100 }
    worker    = { cores = 2, memory = 4, core_fraction = 100 }
    beat      = { cores = 2, memory = 1, core_fraction = 20 }
    deadlines = { cores = 2, memory = 2, core_fraction = 50 }
    migrate   = { cores = 2, memory = 2, core_fraction = 100 }
  }

  validation {
    condition     = alltrue([for role in ["web", "worker", "beat", "deadlines", "migrate"] : contains(keys(var.instance_resources), role)])
    error_message = "instance_resources: give web, worker, beat, deadlines and migrate."
  }
}

variable "platform_id" {
  description = "Compute platform of the application instances."
  type        = string
  default     = "standard-v3"
}

variable "log_shipper_image" {
  description = "Fluent Bit image with the Cloud Logging output (the cloud's fluent-bit plugin image, pinned to a tag) that runs next to the app container on every instance."
  type        = string
}

variable "container_registry_host" {
  description = "Host name of the cloud's Container Registry endpoint (from the Container Registry docs); image names start with it."
  type        = string
}

variable "log_retention_period" {
  description = "How long Cloud Logging keeps application logs."
  type        = string
  default     = "720h"
}

# --- Load balancer ---

variable "http_request_timeout" {
  description = "Longest an ordinary HTTP request may take through the load balancer (uploads included)."
  type        = string
  default     = "120s"
}

variable "realtime_max_duration" {
  description = "Longest a WebSocket (/ws/) or Server-Sent Events stream may stay open through the load balancer; clients reconnect and resume by sequence number."
  type        = string
  default     = "3600s"
}

variable "realtime_idle_timeout" {
  description = "How long a WebSocket or SSE stream may carry no bytes before the load balancer closes it (the widget pings every 25 s, SSE keepalives every 15 s)."
  type        = string
  default     = "120s"
}

# --- PostgreSQL ---

variable "postgres_version" {
  description = "PostgreSQL major version of the managed cluster."
  type        = string
  default     = "16"
}

variable "postgres_resource_preset" {
  description = "Host class of every PostgreSQL host."
  type        = string
  default     = "s3-c2-m8"
}

variable "postgres_disk_size" {
  description = "Initial disk size of every PostgreSQL host, GB."
  type        = number
  default     = 50
}

variable "postgres_disk_size_limit" {
  description = "Disk size (GB) autoscaling may grow every PostgreSQL host to."
  type        = number
  default     = 200
}

variable "postgres_zones" {
  description = "Zones with a PostgreSQL host. The hosts form one HA group: a replica is promoted when the primary or its zone fails."
  type        = list(string)
  default     = ["ru-central1-a", "ru-central1-b", "ru-central1-d"]

  validation {
    condition     = length(var.postgres_zones) >= 2
    error_message = "postgres_zones: at least two zones, or the cluster cannot fail over."
  }
}

variable "postgres_conn_limit" {
  description = "Connections the application user may hold at once (through the pooler, session mode)."
  type        = number
  default     = 300
}

variable "postgres_backup_window_hour" {
  description = "UTC hour at which the daily PostgreSQL backup starts."
  type        = number
  default     = 1

  validation {
    condition     = var.postgres_backup_window_hour >= 0 && var.postgres_backup_window_hour <= 23
    error_message = "postgres_backup_window_hour: 0-23."
  }
}

variable "postgres_backup_retain_days" {
  description = "Days PostgreSQL backups (and point-in-time recovery) are kept."
  type        = number
  default     = 14
}

# --- Redis ---

variable "redis_version" {
  description = "Redis version of the managed cluster."
  type        = string
  default     = "7.2"
}

variable "redis_resource_preset" {
  description = "Host class of every Redis host."
  type        = string
  default     = "hm3-c2-m8"
}

variable "redis_disk_size" {
  description = "Disk size of every Redis host, GB."
  type        = number
  default     = 32
}

variable "redis_zones" {
  description = "Zones with a Redis host (one primary, the rest replicas)."
  type        = list(string)
  default     = ["ru-central1-a", "ru-central1-b"]

  validation {
    condition     = length(var.redis_zones) >= 2
    error_message = "redis_zones: at least two zones, or the broker and channel layer have no failover."
  }
}

# --- Application settings (see .env.example) ---

variable "log_level" {
  description = "LOG_LEVEL of the application."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level: DEBUG, INFO, WARNING or ERROR."
  }
}

variable "sentry_dsn" {
  description = "SENTRY_DSN of the production project. Stored in Lockbox only; pass as TF_VAR_sentry_dsn."
  type        = string
  sensitive   = true

  validation {
    condition     = can(regex("^https://", var.sentry_dsn))
    error_message = "sentry_dsn: an https:// DSN."
  }
}

variable "sentry_traces_sample_rate" {
  description = "SENTRY_TRACES_SAMPLE_RATE: share of requests traced."
  type        = number
  default     = 0.05

  validation {
    condition     = var.sentry_traces_sample_rate >= 0 && var.sentry_traces_sample_rate <= 1
    error_message = "sentry_traces_sample_rate: between 0 and 1."
  }
}

variable "email_host" {
  description = "EMAIL_HOST: SMTP server for invitations and notifications."
  type        = string
}

variable "email_port" {
  description = "EMAIL_PORT of the SMTP server; the only outbound port opened besides HTTPS."
  type        = number
  default     = 587
}

variable "email_host_user" {
  description = "EMAIL_HOST_USER: SMTP login."
  type        = string
}

variable "email_host_password" {
  description = "EMAIL_HOST_PASSWORD: SMTP password. Stored in Lockbox only; pass as TF_VAR_email_host_password."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.email_host_password) > 0
    error_message = "email_host_password: must not be empty."
  }
}

variable "email_use_tls" {
  description = "EMAIL_USE_TLS: STARTTLS to the SMTP server."
  type        = bool
  default     = true
}

variable "default_from_email" {
  description = "DEFAULT_FROM_EMAIL, e.g. \"Messenger <noreply@chat.example.ru>\"."
  type        = string
}
