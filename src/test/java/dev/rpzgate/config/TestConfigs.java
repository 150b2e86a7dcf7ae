package dev.rpzgate.config;

import dev.rpzgate.observability.HitLogConfig;
import dev.rpzgate.operator.OperatorConfig;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

import java.time.Duration;
import java.util.Map;

/** Builds the rpzgate configuration mapping from given properties and environment, without Quarkus. */
final class TestConfigs {

    private TestConfigs() {
    }

    /**
     * Builds a configuration from {@code properties}, as application.properties would give them, and
     * {@code environment}, read as SmallRye Config reads the process environment. The Duration and
     * MemorySize converters are Quarkus's, as in the application.
     */
    static SmallRyeConfig build(Map<String, String> properties, Map<String, String> environment) {
        return new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(properties, "test application.properties", 250))
                .withSources(new EnvConfigSource(environment, 300))
                .withConverter(Duration.class, 200, new DurationConverter())
                .withConverter(MemorySize.class, 200, new MemorySizeConverter())
                .withMapping(RpzgateConfig.class)
                .withMapping(HitLogConfig.class)
                .withMapping(OperatorConfig.class)
                .build();
    }

    static RpzgateConfig mapping(SmallRyeConfig config) {
        return config.getConfigMapping(RpzgateConfig.class);
    }
}
