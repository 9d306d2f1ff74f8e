package dev.coffer.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The launcher records the startup cache by running {@code coffer startup-training}: it must start
 * a real server, get every request it sends answered as expected (the client throws otherwise, and
 * the command then fails), stop it, and leave no directory behind.
 */
class StartupTrainingTest {

    @Test
    void trainingRunStartsExercisesAndStopsAServerAndCleansUp() throws Exception {
        List<Path> before = trainingDirs();
        int exit = new CommandLine(new Main()).execute("startup-training");
        assertThat(exit).isZero();
        assertThat(trainingDirs()).isEqualTo(before);
    }

    private static List<Path> trainingDirs() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("coffer-startup-training")).sorted().toList();
        }
    }
}
