package dev.rpzgate.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NestedIncludesTest {

    @TempDir
    Path directory;

    @Test
    void nestedFilesFollowDirectOnes() throws Exception {
        Path sub = Files.createDirectory(directory.resolve("sub"));
        Path first = directory.resolve("first.rpz");
        Path second = directory.resolve("second.rpz");
        Path leaf = sub.resolve("leaf.rpz");
        Path absolute = directory.resolve("absolute.rpz");
        Files.writeString(first, "a.example CNAME .\n$include\tsub/leaf.rpz ; comment\n");
        Files.writeString(second, "$INCLUDE \"" + absolute + "\" example.\n");
        Files.writeString(leaf, "$INCLUDE ../second.rpz\n");
        Files.writeString(absolute, "b.example CNAME .\n");

        List<Path> includes = NestedIncludes.withNested(List.of(first, second));

        assertThat(includes).containsExactly(first, second, leaf, absolute);
    }

    @Test
    void cycleEndsAndEachFileIsListedOnce() throws Exception {
        Path first = directory.resolve("first.rpz");
        Path second = directory.resolve("second.rpz");
        Files.writeString(first, "$INCLUDE second.rpz\n");
        Files.writeString(second, "$INCLUDE first.rpz\n$INCLUDE second.rpz\n");

        assertThat(NestedIncludes.withNested(List.of(first))).containsExactly(first, second);
    }

    @Test
    void onlyDirectivesAtLineStartCount() throws Exception {
        Path first = directory.resolve("first.rpz");
        Files.writeString(first, " $INCLUDE indented.rpz\n; $INCLUDE comment.rpz\n$INCLUDED other.rpz\n"
                + "name.example TXT \"$INCLUDE text.rpz\"\n$INCLUDE\n");

        assertThat(NestedIncludes.withNested(List.of(first))).containsExactly(first);
    }

    @Test
    void missingFileStaysListed() {
        Path missing = directory.resolve("missing.rpz");

        assertThat(NestedIncludes.withNested(List.of(missing))).containsExactly(missing);
    }
}
