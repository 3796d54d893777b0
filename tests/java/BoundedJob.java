/*
 * A small bounded job for the application and per-job tests: a fixed number sequence,
 * keyed by its remainder, summed per key, into a sink that discards. It reaches FINISHED
 * within seconds, so an application cluster running it completes and its JobManager exits.
 *
 * The key selector and the reducer are classes of this jar, not lambdas: every TaskManager
 * must load them from the job's classpath, so a TaskManager that cannot see the jar fails
 * the job instead of passing by accident.
 *
 * Only APIs present in Flink 1.20 and 2.x (see CheckpointedJob): fromSequence, keyBy,
 * reduce, and the sink2 DiscardingSink.
 *
 *   args: [--name NAME] [--count N] [--keys N]
 */

import org.apache.flink.api.common.functions.ReduceFunction;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

public final class BoundedJob {

    public static void main(String[] args) throws Exception {
        String name = "pulumi-flink bounded job";
        long count = 5000;
        long keys = 8;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--name": name = args[i + 1]; break;
                case "--count": count = Long.parseLong(args[i + 1]); break;
                case "--keys": keys = Long.parseLong(args[i + 1]); break;
                default: throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (args.length % 2 != 0) {
            throw new IllegalArgumentException("an argument without a value: " + args[args.length - 1]);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.fromSequence(1, count)
                .name("sequence")
                .keyBy(new Remainder(keys))
                .reduce(new Sum())
                .name("sum")
                .sinkTo(new DiscardingSink<>())
                .name("discard");
        env.execute(name);
    }

    /** The number's remainder by the key count. */
    static final class Remainder implements KeySelector<Long, Long> {
        private static final long serialVersionUID = 1L;
        private final long keys;

        Remainder(long keys) {
            this.keys = keys;
        }

        @Override
        public Long getKey(Long value) {
            return value % keys;
        }
    }

    /** A running sum. */
    static final class Sum implements ReduceFunction<Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public Long reduce(Long a, Long b) {
            return a + b;
        }
    }

    private BoundedJob() {}
}
