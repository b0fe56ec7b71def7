package dev.recur.engine.nn;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.data.DateTranslation;
import dev.recur.engine.data.Rng;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The attention sequence-to-sequence model: every parameter's gradient, decoding, and the dates data. */
class AttentionSeq2SeqTest {
    /** Teacher-forced loss over padded sources and masked targets, every score, both encoder kinds. */
    @ParameterizedTest
    @CsvSource({"ADDITIVE, LSTM, false", "DOT, GRU, true", "GENERAL, LSTM, true", "ADDITIVE, RNN_TANH, true"})
    void everyParameterGradientMatchesFiniteDifferences(AttentionSeq2Seq.Score score, CellMode cell, boolean bidirectional) {
        int sources = 7, targets = 5, embedding = 3, hidden = 4, batch = 3, steps = 5, targetSteps = 4;
        try (AttentionSeq2Seq model = new AttentionSeq2Seq(RecurrentConfig.of(cell, embedding, hidden)
                .withBidirectional(bidirectional), sources, targets, embedding, score, 3, 0f, 11)) {
            SplittableRandom rng = new SplittableRandom(5);
            int[] source = new int[steps * batch], previous = new int[targetSteps * batch], target = new int[targetSteps * batch];
            for (int i = 0; i < source.length; i++) source[i] = rng.nextInt(sources);
            for (int i = 0; i < target.length; i++) {
                target[i] = rng.nextInt(targets);
                previous[i] = rng.nextInt(targets);
            }
            int[] lengths = {5, 2, 4};
            float[] mask = new float[targetSteps * batch];
            for (int t = 0; t < targetSteps; t++) for (int b = 0; b < batch; b++) mask[t * batch + b] = t < 2 + b ? 1 : 0;
            double worst = ModelGradCheck.check(model, KernelProvider.defaultKernels(),
                    g -> AttentionSeq2Seq.loss(model.forward(g, source, steps, batch, lengths, previous, targetSteps), target, mask));
            assertThat(worst).isLessThan(ModelGradCheck.TOLERANCE);
        }
    }

    /** Beam width 1 is greedy decoding; a wider beam finds a sequence at least as probable. */
    @Test
    void beamOfOneIsGreedyAndWiderBeamsDecodeAsWell() {
        try (AttentionSeq2Seq model = new AttentionSeq2Seq(RecurrentConfig.of(CellMode.GRU, 4, 6), 9, 6, 4,
                AttentionSeq2Seq.Score.ADDITIVE, 5, 0f, 3)) {
            int[] source = {1, 4, 2, 8, 0, 3};
            AttentionSeq2Seq.Decoded greedy = model.greedyDecode(KernelProvider.defaultKernels(), source, source.length, 1,
                    new int[]{source.length}, 4, 5, 8).getFirst();
            AttentionSeq2Seq.Decoded one = model.beamDecode(KernelProvider.defaultKernels(), source, 4, 5, 1, 8);
            assertThat(one.tokens()).containsExactly(greedy.tokens());
            assertThat(greedy.attention()).hasNumberOfRows(greedy.tokens().length);
            for (float[] row : greedy.attention()) {
                double sum = 0;
                for (float w : row) sum += w;
                assertThat(sum).isCloseTo(1, org.assertj.core.data.Offset.offset(1e-5));
            }
            AttentionSeq2Seq.Decoded wide = model.beamDecode(KernelProvider.defaultKernels(), source, 4, 5, 4, 8);
            assertThat(wide.tokens().length).isLessThanOrEqualTo(8);
            assertThat(wide.attention()).hasNumberOfRows(wide.tokens().length);
        }
    }

    @Test
    void datesAreWrittenInTheIssuesFormatsWithTheirOwnWeekday() {
        LocalDate d = LocalDate.of(1987, 3, 3);
        List<String> written = DateTranslation.FORMATS.stream().map(f -> f.format(d)).toList();
        assertThat(written).contains("3 March 1987", "March 3, 1987", "Tuesday, March 3, 1987", "3 Mar 1987", "03.03.1987",
                "1987-03-03");
        Rng rng = new Rng(1);
        for (int i = 0; i < 2000; i++) {
            DateTranslation.Example e = DateTranslation.draw(rng);
            LocalDate date = LocalDate.parse(e.target());
            assertThat(date.getYear()).isBetween(1900, 2099);
            if (e.source().contains(",") && Character.isLetter(e.source().charAt(0)) && e.source().indexOf(',') < e.source().length() - 6) {
                String weekday = e.source().substring(0, e.source().indexOf(','));
                if (weekday.chars().allMatch(Character::isLetter)) {
                    assertThat(date.getDayOfWeek().getDisplayName(java.time.format.TextStyle.FULL, java.util.Locale.ENGLISH))
                            .startsWith(weekday);
                }
            }
            int[] ids = DateTranslation.sourceIds(e.source());
            assertThat(ids).hasSize(e.source().length());
            assertThat(DateTranslation.targetText(DateTranslation.targetIds(e.target()))).isEqualTo(e.target());
        }
    }
}
