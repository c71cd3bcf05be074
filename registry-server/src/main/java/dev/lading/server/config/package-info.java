/**
 * The server's configuration: one YAML file, every key overridable by a {@code LADING_*}
 * environment variable, validated once at start with errors that name the key and where its value
 * came from. {@link dev.lading.server.config.ConfigKey} is the schema: the only list of keys, their
 * defaults, their grammar and whether they are secret; the loader matches YAML paths and
 * environment names against it, so a typo is an error instead of a silently ignored setting.
 * Imports nothing from Netty or the registry core.
 */
package dev.lading.server.config;
