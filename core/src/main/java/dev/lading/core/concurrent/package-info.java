/** Small concurrency helpers the registry and the stores share. */
package dev.lading.core.concurrent;
