export { loadConfig, redactedConfig, ConfigError, type LoadOptions } from './load.js';
export { ENV_KEYS, SECRET_ENV_NAMES, type EnvKey } from './env-keys.js';
export { configSchema, DEV_DEFAULTS, type Config, type ProjectConfig, type ServiceConfig } from './schema.js';
