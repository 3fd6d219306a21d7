export { loadConfig, redactedConfig, ConfigError, type LoadOptions } from './load.js';
export { ENV_KEYS, FILE_ENV_KEYS, FILE_ENV_SUFFIX, SECRET_ENV_NAMES, type EnvKey, type FileEnvKey } from './env-keys.js';
export { configSchema, DEV_DEFAULTS, type Config, type OutboundConfig, type ProjectConfig, type ServiceConfig } from './schema.js';
