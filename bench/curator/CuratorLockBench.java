import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;

/**
 * `grab lock-bench` (bench/lock-bench.ts) with Apache Curator's InterProcessMutex in place of our
 * lock, for a side-by-side measurement on the same ZooKeeper. Same shape: N contenders, each with
 * its own client (its own ZooKeeper session), contender i on lock i mod L under a fresh
 * /grab/bench/<uuid>, no hold time and no warm-up; the clock starts once every session is up and
 * stops when the last contender has finished the acquisition it started before the deadline.
 * Acquire latency is the time acquire() takes; p50/p99 by nearest rank (shared/metrics/quantile.ts),
 * rounded to 0.01 ms. Prints one JSON line with the same fields as ours.
 *
 * Settings come from the same variables as the rest of the fleet: ZK_CONNECT (default
 * 127.0.0.1:2181), ZK_SESSION_TIMEOUT_MS (default 10000) and ZK_AUTH (digest user:password; the
 * lock nodes then get the ACL ours get: everything for the credentials, read for anyone).
 */
public final class CuratorLockBench {
  private static final long ACQUIRE_TIMEOUT_MS = 30_000;

  public static void main(String[] args) throws Exception {
    int contenders = 16;
    int locks = 1;
    int seconds = 10;
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      if (i + 1 >= args.length) usage("missing value for " + name);
      String value = args[++i];
      switch (name) {
        case "--contenders" -> contenders = wholeNumber(name, value, 1, 512);
        case "--locks" -> locks = wholeNumber(name, value, 1, 10_000);
        case "--seconds" -> seconds = wholeNumber(name, value, 1, 3600);
        default -> usage("unknown option " + name);
      }
    }
    String connect = env("ZK_CONNECT", "127.0.0.1:2181");
    int sessionTimeoutMs = wholeNumber("ZK_SESSION_TIMEOUT_MS", env("ZK_SESSION_TIMEOUT_MS", "10000"), 1000, 120_000);
    String auth = env("ZK_AUTH", "");

    String root = "/grab/bench/" + UUID.randomUUID();
    List<CuratorFramework> clients = new ArrayList<>();
    for (int i = 0; i < contenders; i++) clients.add(client(connect, sessionTimeoutMs, auth));
    try {
      for (CuratorFramework c : clients) c.start();
      for (CuratorFramework c : clients) {
        if (!c.blockUntilConnected(sessionTimeoutMs, TimeUnit.MILLISECONDS))
          fail("no ZooKeeper session from " + connect + " within " + sessionTimeoutMs + " ms");
      }
      System.out.println(run(clients, root, locks, seconds));
      clients.get(0).delete().guaranteed().deletingChildrenIfNeeded().forPath(root);
    } finally {
      for (CuratorFramework c : clients) c.close();
    }
  }

  private static String run(List<CuratorFramework> clients, String root, int locks, int seconds)
      throws InterruptedException {
    int contenders = clients.size();
    double[][] latencies = new double[contenders][];
    AtomicLong handoffs = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch start = new CountDownLatch(1);
    long[] window = new long[2]; // started, endAt (ns), set before the latch opens
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < contenders; i++) {
      int index = i;
      InterProcessMutex mutex = new InterProcessMutex(clients.get(i), root + "/lock-" + (i % locks));
      Thread t = new Thread(() -> {
        Samples samples = new Samples();
        try {
          start.await();
          while (System.nanoTime() < window[1]) {
            long t0 = System.nanoTime();
            if (!mutex.acquire(ACQUIRE_TIMEOUT_MS, TimeUnit.MILLISECONDS))
              throw new IllegalStateException("lock not acquired within " + ACQUIRE_TIMEOUT_MS + " ms");
            samples.add((System.nanoTime() - t0) / 1e6);
            mutex.release();
            handoffs.incrementAndGet();
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        } finally {
          latencies[index] = samples.toArray();
        }
      }, "contender-" + i);
      threads.add(t);
      t.start();
    }
    window[0] = System.nanoTime();
    window[1] = window[0] + TimeUnit.SECONDS.toNanos(seconds);
    start.countDown();
    for (Thread t : threads) t.join();
    double elapsedSec = (System.nanoTime() - window[0]) / 1e9;
    if (failure.get() != null) {
      failure.get().printStackTrace();
      fail("a contender failed: " + failure.get());
    }

    int total = 0;
    for (double[] l : latencies) total += l.length;
    double[] all = new double[total];
    int at = 0;
    for (double[] l : latencies) {
      System.arraycopy(l, 0, all, at, l.length);
      at += l.length;
    }
    Arrays.sort(all);
    return "{\"contenders\":" + contenders + ",\"locks\":" + locks + ",\"handoffsPerSec\":"
        + Math.round(handoffs.get() / elapsedSec) + ",\"acquireP50Ms\":" + number(round2(quantile(all, 0.5)))
        + ",\"acquireP99Ms\":" + number(round2(quantile(all, 0.99))) + "}";
  }

  private static CuratorFramework client(String connect, int sessionTimeoutMs, String auth) {
    CuratorFrameworkFactory.Builder b = CuratorFrameworkFactory.builder()
        .connectString(connect)
        .sessionTimeoutMs(sessionTimeoutMs)
        .connectionTimeoutMs(sessionTimeoutMs)
        .retryPolicy(new ExponentialBackoffRetry(100, 5));
    if (!auth.isEmpty()) {
      // Not List.of: ZooKeeper's ACL check asks the list whether it contains null.
      List<ACL> acl = new ArrayList<>(List.of(
          new ACL(ZooDefs.Perms.ALL, ZooDefs.Ids.AUTH_IDS), new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE)));
      b.authorization("digest", auth.getBytes(StandardCharsets.UTF_8)).aclProvider(new ACLProvider() {
        @Override
        public List<ACL> getDefaultAcl() {
          return acl;
        }

        @Override
        public List<ACL> getAclForPath(String path) {
          return acl;
        }
      });
    }
    return b.build();
  }

  /** The q-quantile of sorted samples by nearest rank; 0 for no samples (shared/metrics/quantile.ts). */
  private static double quantile(double[] sorted, double q) {
    if (sorted.length == 0) return 0;
    int rank = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
    return sorted[rank];
  }

  private static double round2(double n) {
    return Math.round(n * 100) / 100.0;
  }

  /** As JSON.stringify writes it: 12 for 12.0, 12.5 for 12.5. */
  private static String number(double n) {
    return n == Math.rint(n) ? Long.toString((long) n) : Double.toString(n);
  }

  private static int wholeNumber(String name, String value, int min, int max) {
    try {
      int n = Integer.parseInt(value);
      if (n >= min && n <= max) return n;
    } catch (NumberFormatException ignored) {
      // reported below
    }
    usage(name + " must be a whole number from " + min + " to " + max + " (got " + value + ")");
    return 0;
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }

  private static void usage(String message) {
    System.err.println("CuratorLockBench: " + message);
    System.err.println("Usage: CuratorLockBench [--contenders N] [--locks L] [--seconds S]");
    System.exit(2);
  }

  private static void fail(String message) {
    System.err.println("CuratorLockBench: " + message);
    System.exit(1);
  }

  /** A growable array of doubles, one per contender thread. */
  private static final class Samples {
    private double[] values = new double[1024];
    private int size;

    void add(double v) {
      if (size == values.length) values = Arrays.copyOf(values, size * 2);
      values[size++] = v;
    }

    double[] toArray() {
      return Arrays.copyOf(values, size);
    }
  }
}
