/**
 * The storage SPI ({@link dev.lading.core.storage.ObjectStore}) and the one key grammar every store
 * checks ({@code StorageKeys}); where everything lives in a store is the business of {@code
 * dev.lading.core.layout}, which this package never imports. Stores differ only in how they move
 * bytes; blobs are content-addressed records pointing at data written by uploads, so committing an
 * upload writes a small record and never copies the blob. Imports no HTTP, no S3 SDK, no JWT.
 */
package dev.lading.core.storage;
