package dev.rpzgate.source;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Tells when something changes in the directory of a zone file, through the JDK's
 * {@link WatchService} (inotify on Linux), on one daemon thread.
 *
 * <p>It watches the parent directory, not the file, and calls every listener of a directory on
 * any event in it. Editors save by writing a new file and renaming it over the old one, and a
 * Kubernetes ConfigMap volume swaps a {@code ..data} symlink, so the file's own name often sees
 * no event at all. Listeners therefore compare the file's {@link FileStamp} to decide whether it
 * changed.
 *
 * <p>{@link PolicyReloader} also watches the files that a zone file reads through its own
 * {@code $INCLUDE} directives. NOTE: an {@code $INCLUDE} inside an included file is read by
 * dnsjava and neither watched nor checked, and a directory that is deleted and created again is
 * no longer watched; {@link PolicyReloader}'s periodic check still finds changes to the zone
 * file and its direct includes there.
 */
final class ZoneFileWatcher implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ZoneFileWatcher.class);

    private final WatchService service;
    private final Map<WatchKey, Path> directories = new ConcurrentHashMap<>();
    private final Map<Path, List<Runnable>> listeners = new ConcurrentHashMap<>();
    private final Thread thread;

    ZoneFileWatcher() throws IOException {
        this.service = FileSystems.getDefault().newWatchService();
        this.thread = new Thread(this::run, "rpzgate-zone-watch");
        thread.setDaemon(true);
    }

    /**
     * Calls {@code listener} on this watcher's thread whenever something in the directory of
     * {@code file} changes. The listener must return quickly.
     *
     * @throws IOException if the directory cannot be watched
     */
    void watch(Path file, Runnable listener) throws IOException {
        Path directory = file.toAbsolutePath().normalize().getParent();
        List<Runnable> existing = listeners.get(directory);
        if (existing == null) {
            WatchKey key = directory.register(service, StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
            directories.put(key, directory);
            existing = new CopyOnWriteArrayList<>();
            listeners.put(directory, existing);
        }
        existing.add(listener);
    }

    /** Starts the watcher thread. */
    void start() {
        thread.start();
    }

    private void run() {
        while (true) {
            WatchKey key;
            try {
                key = service.take();
            } catch (ClosedWatchServiceException | InterruptedException e) {
                return;
            }
            // Every event kind, OVERFLOW included, means "look again", so the events themselves are not read.
            key.pollEvents();
            Path directory = directories.get(key);
            if (!key.reset()) {
                LOG.warnf("directory %s can no longer be watched (deleted or unmounted); "
                        + "its zone files are checked every periodic check only", directory);
                directories.remove(key);
            }
            if (directory == null) {
                continue;
            }
            for (Runnable listener : new ArrayList<>(listeners.getOrDefault(directory, List.of()))) {
                try {
                    listener.run();
                } catch (RuntimeException e) {
                    LOG.errorf(e, "file change listener for directory %s failed", directory);
                }
            }
        }
    }

    @Override
    public void close() {
        try {
            service.close();
        } catch (IOException e) {
            LOG.debugf("closing the zone file watch service failed: %s", e.getMessage());
        }
        thread.interrupt();
    }
}
