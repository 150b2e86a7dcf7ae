package dev.rpzgate.config;

import dev.rpzgate.observability.HitLogConfig;
import dev.rpzgate.operator.OperatorConfig;
import dev.rpzgate.source.ConfiguredZones;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.smallrye.config.ConfigMappings;
import io.smallrye.config.SmallRyeConfig;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks the configuration before any other start-up step: warns about {@code RPZGATE_} environment
 * variables that set nothing, and stops start-up when a setting is out of range or a policy zone's
 * settings are invalid. It observes the start-up event ahead of {@code DnsServer}, whose beans are
 * built from these settings.
 */
@ApplicationScoped
public class StartupConfigCheck {

    private static final Logger LOG = Logger.getLogger(StartupConfigCheck.class);

    /**
     * Every configuration mapping under the {@code rpzgate} prefix. A new mapping must be added here,
     * or its environment variables are reported as unknown.
     */
    static final List<ConfigMappings.ConfigClass> MAPPINGS = List.of(
            new ConfigMappings.ConfigClass(RpzgateConfig.class, "rpzgate"),
            new ConfigMappings.ConfigClass(OperatorConfig.class, "rpzgate.operator"),
            new ConfigMappings.ConfigClass(HitLogConfig.class, "rpzgate.hit-log"));

    @Inject
    RpzgateConfig config;

    void onStart(@Observes @Priority(Interceptor.Priority.APPLICATION) StartupEvent event) {
        check(config, ConfigProvider.getConfig().unwrap(SmallRyeConfig.class), System.getenv());
    }

    /**
     * Logs a warning for each unknown {@code RPZGATE_} variable of {@code environment}, then throws
     * when a setting is out of range or a policy zone's settings are invalid.
     *
     * @throws ConfigurationException with one line per invalid setting. Quarkus 3.33.2 prints the
     *                                message of this exception alone, without a stack trace, and exits
     */
    static void check(RpzgateConfig config, SmallRyeConfig rawConfig, Map<String, String> environment) {
        warnAboutUnknownVariables(environment);
        List<String> problems = new ArrayList<>(SettingRanges.problems(config, rawConfig::getConfigValue,
                ConfiguredZones.problems(config.policy())));
        problems.addAll(SettingRanges.problems(rawConfig.getConfigMapping(HitLogConfig.class),
                rawConfig::getConfigValue));
        problems.addAll(booleanProblems(rawConfig));
        if (problems.isEmpty()) {
            return;
        }
        // Not logged here too, because Quarkus prints the message to standard error.
        throw new ConfigurationException("rpzgate cannot start: " + String.join("\nrpzgate cannot start: ", problems));
    }

    /**
     * Returns the boolean settings with a value that is not a boolean word. The check reads mapping
     * metadata, like the environment check, so a failure in it is logged and start-up goes on.
     */
    private static List<String> booleanProblems(SmallRyeConfig rawConfig) {
        try {
            return SettingRanges.booleanProblems(MAPPINGS, rawConfig::getIndexedPropertiesIndexes,
                    rawConfig::getConfigValue);
        } catch (RuntimeException e) {
            LOG.warnf("cannot check the boolean settings for typos (%s); start-up goes on", e);
            return List.of();
        }
    }

    /**
     * Logs the unknown {@code RPZGATE_} variables. The check only advises, so a failure in it, such
     * as mapping metadata that a native image left out, is logged and start-up goes on.
     */
    private static void warnAboutUnknownVariables(Map<String, String> environment) {
        List<String> warnings;
        try {
            warnings = EnvironmentCheck.of(MAPPINGS).warnings(environment);
        } catch (RuntimeException e) {
            LOG.warnf("cannot check the RPZGATE_ environment variables for misspellings (%s); start-up goes on", e);
            return;
        }
        for (String warning : warnings) {
            LOG.warn(warning);
        }
    }
}
