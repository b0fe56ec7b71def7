package dev.recur.engine.cli.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recur.engine.cli.CliRun;
import dev.recur.engine.io.SafeTensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.recur.engine.cli.CliRun.recur;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code recur train --task dates} end to end on a tiny model: outputs, eval, predict (greedy, beam, heat map), refusals. */
class DatesTaskTest {
    @Test
    void trainsEvaluatesAndTranslates(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("dates");
        CliRun run = recur("train", "--task", "dates", "--hidden", "8", "--embedding-size", "4", "--batch", "8", "--steps", "4",
                "--eval-every", "2", "--attention", "general", "--bidirectional", "--out", out.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(Files.readString(out.resolve("metrics.json")));
        assertThat(json.at("/final/val_exact_match").asDouble()).isBetween(0.0, 1.0);
        Path checkpoint = out.resolve(Trainer.CHECKPOINT);
        SafeTensorsFile ckpt = SafeTensorsFile.read(checkpoint);
        assertThat(ckpt.metadata()).containsEntry("model.head", "seq2seq_attention").containsEntry("model.score", "general")
                .containsEntry("model.bidirectional", "true");
        assertThat(ckpt.names()).contains("encoder.embedding.weight", "encoder.rnn.weight_hh_l0_reverse",
                "decoder.embedding.weight", "decoder.rnn.weight_ih_l0", "attention.query.weight", "head.weight");

        CliRun eval = recur("eval", "--checkpoint", checkpoint.toString());
        assertThat(eval.exit()).as(eval.err()).isZero();
        assertThat(eval.out()).contains("1000 test dates").contains("test_exact_match");

        Path png = dir.resolve("attention.png");
        CliRun greedy = recur("predict", "--checkpoint", checkpoint.toString(), "--text", "March 3, 1987");
        CliRun beam = recur("predict", "--checkpoint", checkpoint.toString(), "--text", "March 3, 1987", "--beam", "3",
                "--attention-png", png.toString());
        assertThat(greedy.exit()).as(greedy.err()).isZero();
        assertThat(beam.exit()).as(beam.err()).isZero();
        assertThat(greedy.out().strip()).matches("[-0-9]{0,13}");
        assertThat(beam.out().strip()).matches("[-0-9]{0,13}");
        if (beam.out().strip().isEmpty()) {   // an untrained model may end at once: nothing to draw, and it says so
            assertThat(beam.err()).contains("the model decoded nothing");
            assertThat(png).doesNotExist();
        } else {
            assertThat(ImageIO.read(png.toFile()).getWidth()).isGreaterThan(100);
        }

        CliRun badChar = recur("predict", "--checkpoint", checkpoint.toString(), "--text", "3 März 1987");
        assertThat(badChar.exit()).isEqualTo(2);
        assertThat(badChar.err()).contains("character 'ä' at position 3 is not one a date is written with").hasLineCount(1);
        CliRun noText = recur("predict", "--checkpoint", checkpoint.toString());
        assertThat(noText.exit()).isEqualTo(2);
        assertThat(noText.err()).contains("--text is needed").hasLineCount(1);
        CliRun badBeam = recur("predict", "--checkpoint", checkpoint.toString(), "--text", "1 May 2000", "--beam", "0");
        assertThat(badBeam.exit()).isEqualTo(2);
        assertThat(badBeam.err()).contains("--beam must be at least 1").hasLineCount(1);
        CliRun badScore = recur("train", "--task", "dates", "--attention", "cosine", "--out", dir.resolve("x").toString());
        assertThat(badScore.exit()).isEqualTo(2);
        assertThat(badScore.err()).contains("--attention 'cosine' is not an attention score").hasLineCount(1);
        assertThat(dir.resolve("x")).doesNotExist();
    }

    /** --task pairs: the user's TSV, alphabets from its training part, predict --text with unknown characters counted. */
    @Test
    void pairsTrainFromATsvAndTranslate(@TempDir Path dir) throws Exception {
        StringBuilder tsv = new StringBuilder();
        dev.recur.engine.data.Rng rng = new dev.recur.engine.data.Rng(4);
        for (int i = 0; i < 200; i++) {
            StringBuilder w = new StringBuilder();
            for (int k = 0; k < 3 + rng.nextInt(4); k++) w.append((char) ('a' + rng.nextInt(6)));
            tsv.append(w).append('\t').append(new StringBuilder(w).reverse()).append('\n');
        }
        Path file = Files.writeString(dir.resolve("reverse.tsv"), tsv);
        Path out = dir.resolve("pairs");
        CliRun run = recur("train", "--task", "pairs", "--tsv", file.toString(), "--hidden", "8", "--embedding-size", "4",
                "--batch", "16", "--steps", "4", "--eval-every", "2", "--attention", "dot", "--out", out.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        Path checkpoint = out.resolve(Trainer.CHECKPOINT);
        assertThat(SafeTensorsFile.read(checkpoint).metadata()).containsEntry("task.source_alphabet", "\uFFFDabcdef")
                .containsEntry("model.score", "dot");
        CliRun eval = recur("eval", "--checkpoint", checkpoint.toString());
        assertThat(eval.exit()).as(eval.err()).isZero();
        assertThat(eval.out()).contains("the validation part of").contains("val_exact_match");
        CliRun predict = recur("predict", "--checkpoint", checkpoint.toString(), "--text", "abzc", "--beam", "2");
        assertThat(predict.exit()).as(predict.err()).isZero();
        assertThat(predict.err()).contains("1 character(s) of --text are not in the model's source alphabet");
        assertThat(predict.out().strip()).matches("[a-f\\uFFFD]*");   // an untrained model may write the unknown mark

        Path bad = Files.writeString(dir.resolve("bad.tsv"), "a\tb\nno tab here\n");
        CliRun refused = recur("train", "--task", "pairs", "--tsv", bad.toString(), "--out", dir.resolve("x").toString());
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).contains("line 2 is not 'source<TAB>target'").hasLineCount(1);
        CliRun noTsv = recur("train", "--task", "pairs", "--out", dir.resolve("x").toString());
        assertThat(noTsv.exit()).isEqualTo(2);
        assertThat(noTsv.err()).contains("--task pairs needs --tsv FILE").hasLineCount(1);
        assertThat(dir.resolve("x")).doesNotExist();
    }
}
