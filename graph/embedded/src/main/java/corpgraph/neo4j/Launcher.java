package corpgraph.neo4j;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.SettingValueParsers;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.kernel.internal.Version;
import org.neo4j.logging.Level;
import org.neo4j.logging.log4j.Log4jLogProvider;

/**
 * Runs Neo4j 5.26 Community embedded with only the Bolt connector, for the corpgraph Python CLI.
 *
 * <p>Contract: stdout carries exactly one line, {@code CORPGRAPH_NEO4J_READY bolt://HOST:PORT}, once the
 * default database is available and Bolt accepts connections. Everything else goes to stderr or to the
 * Neo4j logs under {@code <data-dir>/logs}. SIGTERM / SIGINT shut the DBMS down cleanly and exit 0.
 */
public final class Launcher {
    static final String READY_PREFIX = "CORPGRAPH_NEO4J_READY ";
    static final String PASSWORD_ENV = "CORPGRAPH_EMBEDDED_PASSWORD";
    static final String DEFAULT_DB = "neo4j";

    static final int EXIT_USAGE = 2;
    static final int EXIT_PORT_IN_USE = 3;
    static final int EXIT_STARTUP_FAILED = 1;
    static final int EXIT_DATA_DIR_IN_USE = 4;

    private static final PrintStream ERR = System.err;

    private Launcher() {}

    // ------------------------------------------------------------------ options

    static final class Options {
        int port = 7687;
        Path dataDir;
        String listenAddress = "127.0.0.1";
        String pagecache = "512m";
        Path pluginsDir;
        boolean gds = true;
        String unrestricted = "gds.*,apoc.*";
        final Map<String, String> extraConf = new LinkedHashMap<>();
        long startupTimeoutSeconds = 600;
    }

    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    static String usage() {
        return String.join("\n",
                "usage: java [jvm opts] -jar corpgraph-neo4j-launcher.jar --port PORT --data-dir /abs/path",
                "         [--listen-address 127.0.0.1] [--pagecache 512m] [--plugins-dir /abs/path]",
                "         [--no-gds] [--procedures-unrestricted 'gds.*,apoc.*'] [--conf key=value]...",
                "         [--startup-timeout SECONDS]",
                "   or: java [jvm opts] -jar corpgraph-neo4j-launcher.jar import --data-dir /abs/path",
                "         [--database neo4j] -- [neo4j-admin database import full options]",
                "password: env " + PASSWORD_ENV + " (absent => auth disabled)");
    }

    static Options parse(String[] args) throws UsageException {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0 && !a.equals("--conf")) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "-h":
                case "--help":
                    throw new UsageException(null);
                case "--no-gds":
                    o.gds = false;
                    continue;
                default:
                    break;
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new UsageException("missing value for " + a);
                }
                value = args[++i];
            }
            switch (a) {
                case "--port":
                    try {
                        o.port = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        throw new UsageException("--port must be an integer, got '" + value + "'");
                    }
                    if (o.port < 1 || o.port > 65535) {
                        throw new UsageException("--port out of range: " + o.port);
                    }
                    break;
                case "--data-dir":
                    o.dataDir = Path.of(value).toAbsolutePath().normalize();
                    break;
                case "--listen-address":
                    o.listenAddress = value;
                    break;
                case "--pagecache":
                    o.pagecache = value;
                    break;
                case "--plugins-dir":
                    o.pluginsDir = Path.of(value).toAbsolutePath().normalize();
                    break;
                case "--procedures-unrestricted":
                    o.unrestricted = value;
                    break;
                case "--startup-timeout":
                    o.startupTimeoutSeconds = Long.parseLong(value);
                    break;
                case "--conf": {
                    int e = value.indexOf('=');
                    if (e <= 0) {
                        throw new UsageException("--conf expects key=value, got '" + value + "'");
                    }
                    o.extraConf.put(value.substring(0, e).trim(), value.substring(e + 1).trim());
                    break;
                }
                default:
                    throw new UsageException("unknown argument: " + a);
            }
        }
        if (o.dataDir == null) {
            throw new UsageException("--data-dir is required");
        }
        try {
            SettingValueParsers.BYTES.parse(o.pagecache);
        } catch (RuntimeException e) {
            throw new UsageException("invalid --pagecache '" + o.pagecache + "': " + e.getMessage());
        }
        return o;
    }

    // ------------------------------------------------------------------ main

    public static void main(String[] args) {
        // stdout is reserved for the READY line: anything else that prints to System.out goes to stderr.
        final PrintStream stdout = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        System.setOut(ERR);
        if (args.length > 0 && args[0].equals("import")) {
            // `import ...`: neo4j-admin database import full into a stopped launcher's data dir.
            int rc = BulkImport.run(java.util.Arrays.copyOfRange(args, 1, args.length), ERR, ERR);
            ERR.flush();
            System.exit(rc);
            return;
        }

        Options opts;
        try {
            opts = parse(args);
        } catch (UsageException e) {
            if (e.getMessage() != null) {
                ERR.println("corpgraph-neo4j-launcher: error: " + e.getMessage());
                ERR.println(usage());
                System.exit(EXIT_USAGE);
            }
            ERR.println(usage());
            System.exit(0);
            return;
        }
        int rc = new Launcher.Run(opts, stdout).run();
        // Only reached on failure paths or after a signal-driven shutdown.
        ERR.flush();
        System.exit(rc);
    }

    static final class Run {
        private final Options o;
        private final PrintStream stdout;
        private final CountDownLatch stopRequested = new CountDownLatch(1);
        private final AtomicBoolean shutDown = new AtomicBoolean(false);
        private volatile DatabaseManagementService dbms;

        Run(Options o, PrintStream stdout) {
            this.o = o;
            this.stdout = stdout;
        }

        int run() {
            Instant t0 = Instant.now();
            String password = System.getenv(PASSWORD_ENV);
            if (password != null && password.isEmpty()) {
                password = null;
            }
            if (password == null) {
                log("WARNING: " + PASSWORD_ENV + " is not set: starting with authentication DISABLED");
            }

            InetAddress bindAddr;
            try {
                bindAddr = InetAddress.getByName(o.listenAddress);
            } catch (IOException e) {
                fail("invalid --listen-address '" + o.listenAddress + "': " + e.getMessage());
                return EXIT_USAGE;
            }
            String portProblem = checkPortFree(bindAddr, o.port);
            if (portProblem != null) {
                fail(portProblem);
                return EXIT_PORT_IN_USE;
            }

            try {
                Files.createDirectories(o.dataDir);
            } catch (IOException e) {
                fail("cannot create --data-dir " + o.dataDir + ": " + e);
                return EXIT_STARTUP_FAILED;
            }

            String lockProblem = checkStoreNotLocked();
            if (lockProblem != null) {
                fail(lockProblem);
                return EXIT_DATA_DIR_IN_USE;
            }

            installSignalHandlers();
            Runtime.getRuntime().addShutdownHook(new Thread(this::shutdown, "corpgraph-neo4j-shutdown"));

            log("Neo4j " + Version.getNeo4jVersion() + " (Community, embedded) starting; home=" + o.dataDir
                    + " bolt=" + o.listenAddress + ":" + o.port + " pagecache=" + o.pagecache);
            GraphDatabaseService db;
            try {
                Path pluginDir = preparePluginDir();
                DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(o.dataDir);
                Path conf = writeConf(pluginDir);
                builder.loadPropertiesFromFile(conf);
                builder.setConfig(BoltConnector.enabled, true);
                builder.setConfig(BoltConnector.listen_address, new SocketAddress(o.listenAddress, o.port));
                builder.setConfig(BoltConnector.advertised_address, new SocketAddress(readyHost(), o.port));
                builder.setConfig(HttpConnector.enabled, false);
                builder.setConfig(HttpsConnector.enabled, false);
                builder.setConfig(GraphDatabaseSettings.auth_enabled, password != null);
                // Netty waits this quiet period (default 5 s) twice (boss + worker loop) on shutdown.
                builder.setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 1);
                builder.setUserLogProvider(new Log4jLogProvider(ERR, Level.WARN));
                if (stopRequested.getCount() == 0) {
                    return 0;
                }
                dbms = builder.build();
                if (stopRequested.getCount() == 0) {
                    shutdown();
                    return 0;
                }
                db = dbms.database(DEFAULT_DB);
                if (!db.isAvailable(TimeUnit.SECONDS.toMillis(o.startupTimeoutSeconds))) {
                    throw new IllegalStateException("database '" + DEFAULT_DB + "' did not become available within "
                            + o.startupTimeoutSeconds + "s");
                }
                if (password != null) {
                    setPassword(password);
                }
                waitForBolt(bindAddr, o.port, Duration.ofSeconds(60));
            } catch (Throwable t) {
                int rc = reportStartupFailure(t);
                shutdown();
                return rc;
            }

            String gds = gdsVersion(db);
            String versionLine = "Neo4j " + Version.getNeo4jVersion() + " Community embedded"
                    + "; GDS " + (gds == null ? "absent" : gds)
                    + "; auth " + (password != null ? "enabled" : "DISABLED")
                    + "; started in " + Duration.between(t0, Instant.now()).toMillis() + " ms";
            log(versionLine);
            if (stopRequested.getCount() != 0) {
                stdout.println(READY_PREFIX + "bolt://" + readyHost() + ":" + o.port);
                stdout.flush();
            }

            try {
                stopRequested.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            shutdown();
            return 0;
        }

        private String readyHost() {
            String h = o.listenAddress;
            if (h.equals("0.0.0.0") || h.equals("::") || h.equals("[::]") || h.isEmpty()) {
                return "127.0.0.1";
            }
            if (h.contains(":") && !h.startsWith("[")) {
                return "[" + h + "]";
            }
            return h;
        }

        // -------------------------------------------------------------- lifecycle

        @SuppressWarnings("restriction")
        private void installSignalHandlers() {
            for (String name : new String[] {"TERM", "INT"}) {
                try {
                    sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                        log("received SIG" + sig.getName() + ", shutting down");
                        // The main thread sees the flag (also when still starting up), shuts down, exits 0.
                        stopRequested.countDown();
                    });
                } catch (IllegalArgumentException e) {
                    log("could not install SIG" + name + " handler (" + e.getMessage() + "); relying on shutdown hook");
                }
            }
        }

        private void shutdown() {
            stopRequested.countDown();
            DatabaseManagementService d = dbms;
            if (d == null || !shutDown.compareAndSet(false, true)) {
                return;
            }
            Instant t = Instant.now();
            try {
                d.shutdown();
                log("Neo4j shut down cleanly in " + Duration.between(t, Instant.now()).toMillis() + " ms");
            } catch (Throwable e) {
                log("error during shutdown: " + oneLine(e));
            }
        }

        // -------------------------------------------------------------- auth

        private void setPassword(String password) {
            GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
            if (!system.isAvailable(TimeUnit.SECONDS.toMillis(o.startupTimeoutSeconds))) {
                throw new IllegalStateException("system database not available");
            }
            try {
                system.executeTransactionally("ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED",
                        Map.of("pw", password));
            } catch (RuntimeException e) {
                String msg = String.valueOf(rootCause(e).getMessage()).toLowerCase(Locale.ROOT);
                if (msg.contains("old password and new password cannot be the same")) {
                    // Same password as last start: just make sure no change is required.
                    system.executeTransactionally("ALTER USER neo4j SET PASSWORD CHANGE NOT REQUIRED");
                } else {
                    throw e;
                }
            }
            log("password for user 'neo4j' set from " + PASSWORD_ENV);
        }

        // -------------------------------------------------------------- GDS / plugins

        /** Directory holding the GDS jars that were copied next to the launcher jar at build time. */
        private Path launcherDir() {
            try {
                Path jar = Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                return jar.getParent();
            } catch (URISyntaxException | RuntimeException e) {
                return null;
            }
        }

        /**
         * Neo4j registers @Procedure/@UserFunction classes only from jars in {@code server.directories.plugins}.
         * The same GDS jars are also on the launcher's class path (manifest Class-Path) so that GDS' kernel
         * extensions are found by ServiceLoader; Neo4j's procedure class loader is parent-first for them, so
         * there are no duplicate classes. We build {@code <data-dir>/launcher-plugins} holding links to the
         * GDS jars plus the jars of --plugins-dir.
         */
        private Path preparePluginDir() throws IOException {
            Path dir = o.dataDir.resolve("launcher-plugins");
            Files.createDirectories(dir);
            List<Path> jars = new ArrayList<>();
            if (o.gds) {
                Path base = launcherDir();
                Path gdsDir = base == null ? null : base.resolve("gds-plugins");
                if (gdsDir != null && Files.isDirectory(gdsDir)) {
                    jars.addAll(listJars(gdsDir));
                } else {
                    log("GDS plugin jars not found (expected " + gdsDir + "); GDS procedures will be absent");
                }
            }
            if (o.pluginsDir != null) {
                if (!Files.isDirectory(o.pluginsDir)) {
                    throw new IOException("--plugins-dir " + o.pluginsDir + " is not a directory");
                }
                jars.addAll(listJars(o.pluginsDir));
            }
            Map<String, Path> wanted = new LinkedHashMap<>();
            for (Path jar : jars) {
                wanted.putIfAbsent(jar.getFileName().toString(), jar);
            }
            // sync: drop entries that are not wanted (or point elsewhere), add missing ones
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path p : ds) {
                    Path target = wanted.get(p.getFileName().toString());
                    boolean keep = target != null && Files.isSymbolicLink(p)
                            && Files.readSymbolicLink(p).equals(target) && Files.exists(p);
                    if (!keep && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                        Files.delete(p);
                    }
                }
            }
            for (Map.Entry<String, Path> e : wanted.entrySet()) {
                Path link = dir.resolve(e.getKey());
                if (Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                try {
                    Files.createSymbolicLink(link, e.getValue());
                } catch (IOException | UnsupportedOperationException ex) {
                    Files.copy(e.getValue(), link);
                }
            }
            return dir;
        }

        private static List<Path> listJars(Path dir) throws IOException {
            List<Path> out = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.jar")) {
                for (Path p : ds) {
                    out.add(p.toAbsolutePath());
                }
            }
            out.sort(null);
            return out;
        }

        private Path writeConf(Path pluginDir) throws IOException {
            Map<String, String> conf = new LinkedHashMap<>();
            conf.put(GraphDatabaseSettings.pagecache_memory.name(), o.pagecache);
            conf.put(GraphDatabaseSettings.plugin_dir.name(), pluginDir.toString());
            // Neo4j preallocates 256 MiB per transaction log file (x2 databases); not worth it for a local tool.
            conf.put(GraphDatabaseSettings.preallocate_logical_logs.name(), "false");
            if (!o.unrestricted.isBlank()) {
                conf.put(GraphDatabaseSettings.procedure_unrestricted.name(), o.unrestricted);
            }
            conf.putAll(o.extraConf);
            StringBuilder sb = new StringBuilder("# generated by corpgraph-neo4j-launcher on every start\n");
            conf.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
            Path file = o.dataDir.resolve("launcher.conf");
            Files.writeString(file, sb.toString(), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
            return file;
        }

        private String gdsVersion(GraphDatabaseService db) {
            try {
                return db.executeTransactionally("RETURN gds.version() AS v", Map.of(),
                        r -> r.hasNext() ? String.valueOf(r.next().get("v")) : null);
            } catch (RuntimeException e) {
                if (o.gds) {
                    log("GDS not available: " + oneLine(e));
                }
                return null;
            }
        }

        // -------------------------------------------------------------- network helpers

        /** Neo4j holds an exclusive lock on data/databases/store_lock while running. */
        private String checkStoreNotLocked() {
            Path lockFile = o.dataDir.resolve("data").resolve("databases").resolve("store_lock");
            if (!Files.exists(lockFile)) {
                return null;
            }
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
                FileLock lock = ch.tryLock();
                if (lock == null) {
                    return "data dir " + o.dataDir + " is in use by another Neo4j process (" + lockFile + " is locked)";
                }
                lock.release();
                return null;
            } catch (OverlappingFileLockException e) {
                return "data dir " + o.dataDir + " is in use (" + lockFile + " is locked)";
            } catch (IOException e) {
                return null; // let Neo4j report it
            }
        }

        private static String checkPortFree(InetAddress addr, int port) {
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(addr, port));
                return null;
            } catch (BindException e) {
                return "port " + port + " on " + addr.getHostAddress() + " is already in use (" + e.getMessage() + ")";
            } catch (IOException e) {
                return "cannot bind " + addr.getHostAddress() + ":" + port + ": " + e.getMessage();
            }
        }

        private void waitForBolt(InetAddress addr, int port, Duration timeout) throws IOException {
            InetAddress target = addr.isAnyLocalAddress() ? InetAddress.getLoopbackAddress() : addr;
            long deadline = System.nanoTime() + timeout.toNanos();
            IOException last = null;
            while (System.nanoTime() < deadline) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(target, port), 1000);
                    return;
                } catch (IOException e) {
                    last = e;
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
            throw new IOException("Bolt is not accepting connections on " + target.getHostAddress() + ":" + port
                    + (last == null ? "" : " (" + last.getMessage() + ")"));
        }

        // -------------------------------------------------------------- error reporting

        private int reportStartupFailure(Throwable t) {
            Throwable root = rootCause(t);
            Path logFile = o.dataDir.resolve("logs").resolve("launcher-error.log");
            try {
                Files.createDirectories(logFile.getParent());
                StringWriter sw = new StringWriter();
                t.printStackTrace(new PrintWriter(sw));
                Files.writeString(logFile, Instant.now() + "\n" + sw, StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException | UncheckedIOException ignored) {
                logFile = null;
            }
            boolean bind = false;
            for (Throwable c = t; c != null; c = c.getCause()) {
                if (c instanceof BindException || c.getClass().getSimpleName().equals("PortBindException")) {
                    bind = true;
                }
            }
            if (bind) {
                fail("port " + o.port + " on " + o.listenAddress + " is already in use (" + oneLine(root) + ")");
                return EXIT_PORT_IN_USE;
            }
            fail("Neo4j failed to start: " + oneLine(t)
                    + (root != t ? " | root cause: " + oneLine(root) : "")
                    + (logFile != null ? " | stack trace: " + logFile : ""));
            return EXIT_STARTUP_FAILED;
        }
    }

    // ------------------------------------------------------------------ utils

    static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }

    static String oneLine(Throwable t) {
        String m = t.getMessage();
        String s = t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
        return s.replace('\n', ' ').replace('\r', ' ');
    }

    static void log(String msg) {
        ERR.println("[corpgraph-neo4j] " + msg);
        ERR.flush();
    }

    static void fail(String msg) {
        ERR.println("CORPGRAPH_NEO4J_ERROR " + msg.replace('\n', ' '));
        ERR.flush();
    }
}
