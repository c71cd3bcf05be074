package dev.lading.core.concurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ConcurrentlyTest {

  @Test
  void resultsComeInTheCallsOrderAndTheFirstRunsOnTheCallersThread() {
    Thread caller = Thread.currentThread();
    List<Callable<String>> calls =
        List.of(
            () -> Thread.currentThread() == caller ? "caller" : "elsewhere",
            () -> Thread.currentThread().isVirtual() ? "virtual" : "platform",
            () -> "third");

    assertThat(Concurrently.call(calls)).containsExactly("caller", "virtual", "third");
  }

  @Test
  void theCallsRunSideBySide() {
    CountDownLatch both = new CountDownLatch(2);
    Callable<Boolean> meet =
        () -> {
          both.countDown();
          return both.await(10, TimeUnit.SECONDS);
        };

    assertThat(Concurrently.call(List.of(meet, meet))).containsExactly(true, true);
  }

  @Test
  void theFirstFailureInOrderIsThrownOnceEveryCallHasEnded() {
    AtomicBoolean slowEnded = new AtomicBoolean();
    CountDownLatch firstFailed = new CountDownLatch(1);
    List<Callable<String>> calls =
        List.of(
            () -> {
              firstFailed.countDown();
              throw new IllegalArgumentException("first");
            },
            () -> {
              // Still running when the first call has failed.
              firstFailed.await(10, TimeUnit.SECONDS);
              slowEnded.set(true);
              throw new IllegalStateException("second");
            });

    assertThatThrownBy(() -> Concurrently.call(calls))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("first");
    assertThat(slowEnded).as("none left running behind the caller").isTrue();
  }

  @Test
  void notSideBySideTheCallsRunInOrderOnTheCallersThread() {
    Thread caller = Thread.currentThread();
    StringBuilder order = new StringBuilder();
    List<Callable<Boolean>> calls =
        List.of(
            () -> order.append('a') != null && Thread.currentThread() == caller,
            () -> order.append('b') != null && Thread.currentThread() == caller,
            () -> order.append('c') != null && Thread.currentThread() == caller);

    assertThat(Concurrently.call(calls, false)).containsExactly(true, true, true);
    assertThat(order).hasToString("abc");
    assertThat(Concurrently.both(() -> 1, () -> 2, Integer::sum, false)).isEqualTo(3);
  }
}
