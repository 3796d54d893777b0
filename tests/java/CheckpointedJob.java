/*
 * A small unbounded streaming job for the real-cluster tests: a number sequence,
 * throttled by a map that sleeps, into a sink that discards. Source, map and sink
 * have the same parallelism and are chained into one task, so the sleep paces the
 * source itself and no records queue up in front of checkpoint barriers.
 *
 * Checkpointing comes from the cluster's configuration (execution.checkpointing.interval
 * in the rendered config) unless --checkpoint-interval-ms is given; the test checks the
 * interval the job ran with, so a config that never reached the job is noticed.
 *
 * Only APIs present in Flink 1.20 and 2.x: fromSequence (the FLIP-27 NumberSequenceSource)
 * and the sink2 DiscardingSink (SinkFunction/addSink moved to "legacy" in 2.0).
 *
 *   args: [--sleep-ms N] [--checkpoint-interval-ms N] [--name NAME]
 */

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

public final class CheckpointedJob {

    public static void main(String[] args) throws Exception {
        long sleepMs = 5;
        long checkpointIntervalMs = 0;
        String name = "pulumi-flink checkpointed job";
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--sleep-ms": sleepMs = Long.parseLong(args[i + 1]); break;
                case "--checkpoint-interval-ms": checkpointIntervalMs = Long.parseLong(args[i + 1]); break;
                case "--name": name = args[i + 1]; break;
                default: throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        if (checkpointIntervalMs > 0) {
            env.enableCheckpointing(checkpointIntervalMs);
        }
        env.fromSequence(0, Long.MAX_VALUE / 4)
                .name("sequence")
                .map(new Throttle(sleepMs))
                .name("throttle")
                .sinkTo(new DiscardingSink<>())
                .name("discard");
        env.execute(name);
    }

    /** Passes every number on after a short sleep. */
    static final class Throttle implements MapFunction<Long, Long> {
        private static final long serialVersionUID = 1L;
        private final long sleepMs;

        Throttle(long sleepMs) {
            this.sleepMs = sleepMs;
        }

        @Override
        public Long map(Long value) throws Exception {
            Thread.sleep(sleepMs);
            return value;
        }
    }

    private CheckpointedJob() {}
}
