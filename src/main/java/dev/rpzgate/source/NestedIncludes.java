package dev.rpzgate.source;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Finds the files that included files read through {@code $INCLUDE} directives of their own, so
 * that they are watched like the files the zone file includes directly.
 *
 * <p>dnsjava opens an included file itself, so the nested directives never pass through
 * {@link LineCountingZoneStream}. This class reads each included file a second time after the load
 * and looks only at lines that start with {@code $INCLUDE}, resolving a relative path against the
 * directory of the file that contains it, as dnsjava 3.6 does.
 *
 * <p>NOTE: a file edited between the two reads can name files that the load did not read, or leave
 * out one it did. The edit changes the file's stamp, so a later change check loads the zone again,
 * except at start-up, where the stamps are taken after the load.
 */
final class NestedIncludes {

    private static final Logger LOG = Logger.getLogger(NestedIncludes.class);

    private NestedIncludes() {
    }

    /**
     * Returns {@code direct} followed by every file that those files include, at any depth, each
     * once. A file that cannot be read now is kept in the list, because the load read it, and its
     * own directives are left out.
     *
     * @param direct files named by the {@code $INCLUDE} directives of the zone file, absolute
     */
    static List<Path> withNested(List<Path> direct) {
        Set<Path> found = new LinkedHashSet<>(direct);
        List<Path> pending = new ArrayList<>(direct);
        // Breadth first over the files not yet read; the set ends an include cycle.
        for (int next = 0; next < pending.size(); next++) {
            Path file = pending.get(next);
            for (Path nested : directivesOf(file)) {
                if (found.add(nested)) {
                    pending.add(nested);
                }
            }
        }
        return List.copyOf(found);
    }

    /** Returns the files that the {@code $INCLUDE} lines of {@code file} name, resolved. */
    private static List<Path> directivesOf(Path file) {
        List<Path> includes = new ArrayList<>();
        Path directory = file.getParent();
        // ISO-8859-1, because dnsjava's tokenizer turns each byte into one char.
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!LineCountingZoneStream.startsWithInclude(line)) {
                    continue;
                }
                LineCountingZoneStream.IncludeDirective directive = LineCountingZoneStream.IncludeDirective.parse(line);
                if (directive == null || directive.path().isEmpty()) {
                    continue;
                }
                Path path = Path.of(directive.path());
                includes.add((path.isAbsolute() || directory == null ? path : directory.resolve(path)).normalize());
            }
        } catch (IOException | InvalidPathException e) {
            LOG.warnf("cannot read %s again to find its $INCLUDE directives (%s); the files it includes are not"
                    + " watched until the zone loads again", file, e);
        }
        return includes;
    }
}
