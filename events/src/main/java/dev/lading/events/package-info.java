/**
 * What happened in the registry, told to other systems: pushes, mounts, tag moves, deletes, pulls
 * (sampled, off by default) and GC runs, as CloudEvents 1.0 in JSON (structured mode), POSTed to
 * the configured endpoints with an HMAC-SHA256 signature of the body.
 *
 * <p>The path of an event, and what bounds it:
 *
 * <ol>
 *   <li>{@link Events#publish} offers it to a bounded in-memory queue and returns: a request never
 *       waits for an event, and a full queue drops the event (counted, logged), never grows.
 *   <li>One writer thread per instance takes what has queued up and writes it as one batch object
 *       per endpoint that wants it ({@code events/queue/<endpoint>/<batch>}), so an event survives
 *       a restart and any instance can deliver it. What a crash loses is what was queued and not
 *       yet written: the events of the last moments before it (a write takes milliseconds).
 *   <li>One instance at a time delivers: the one holding the deliverer lease ({@link
 *       DelivererLease}), renewed while it runs and taken over by another instance when it stops
 *       being renewed. For each endpoint it reads the batches oldest first and POSTs their events
 *       in order; a batch is deleted once each of its events was delivered or given up. So each
 *       event is POSTed once, except when a deliverer dies between a POST and the batch's delete:
 *       the next one sends that batch's delivered events again, with the same {@code id}, by which
 *       CloudEvents receivers recognise a duplicate.
 *   <li>A failed POST (connection error, timeout, 408, 429, 5xx) is retried with exponential
 *       back-off (1 s doubling to 5 min, or what {@code Retry-After} asks within that), the
 *       endpoint's later events waiting behind it; an event still failing after {@code retry_for}
 *       is given up. Any other answer (a 4xx) is final: the event is given up at once. Each
 *       endpoint has its own queue and back-off, so one that is down delays no other.
 *   <li>What is given up is kept, as it was, under {@code events/failed/<endpoint>/}, at most
 *       {@code max_failed} events per endpoint (the oldest go beyond). {@link EventQueues#replay}
 *       puts them back in the queue under the same batch name, so the deliverer sends each once
 *       more, with its {@code id}, retried for {@code retry_for} from the replay.
 *   <li>The store holds at most {@code max_stored} events per endpoint; above that the deliverer
 *       drops the oldest batches (counted, logged), so an endpoint that stays down cannot fill the
 *       bucket.
 * </ol>
 */
package dev.lading.events;
