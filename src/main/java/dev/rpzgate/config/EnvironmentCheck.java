package dev.rpzgate.config;

import io.smallrye.config.ConfigMappings;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds environment variables named like rpzgate settings ({@code RPZGATE_...}) that set no
 * property of the configuration mappings. SmallRye Config ignores such a variable silently,
 * so a typo such as {@code RPZGATE_UPSTREAM} for {@code RPZGATE_UPSTREAMS} would leave the setting
 * at its default.
 *
 * <p>A property's variable is its name in capitals with every other character turned into
 * {@code _}, which is how SmallRye Config 3.16 matches them, case-insensitively. An index
 * {@code [N]} becomes {@code _N_}, so {@code rpzgate.forward-zones[0].name} is
 * {@code RPZGATE_FORWARD_ZONES_0__NAME}, and a map key is any run of letters, digits and
 * {@code _}.
 */
public final class EnvironmentCheck {

    static final String PREFIX = "RPZGATE_";

    /** Index in an environment variable, with the underscores around it. */
    private static final Pattern INDEX = Pattern.compile("_[0-9]+_");

    /** Placeholder for an index in {@link #candidates} and in the normalized variable compared with them. */
    private static final String ANY_INDEX = "_N_";

    private final List<Pattern> properties = new ArrayList<>();
    /** Variables of the properties without map keys, indexes written {@link #ANY_INDEX}, for suggestions. */
    private final List<String> candidates = new ArrayList<>();

    private EnvironmentCheck(Iterable<String> propertyNames) {
        TreeSet<String> sortedCandidates = new TreeSet<>();
        for (String name : propertyNames) {
            properties.add(Pattern.compile(variablePattern(name)));
            if (!name.replace("[*]", "").contains("*")) {
                sortedCandidates.add(SettingRanges.environmentName(name.replace("[*]", "[N]")));
            }
        }
        candidates.addAll(sortedCandidates);
    }

    /** Builds the check for the properties of {@code mappings}. */
    public static EnvironmentCheck of(List<ConfigMappings.ConfigClass> mappings) {
        TreeSet<String> names = new TreeSet<>();
        for (ConfigMappings.ConfigClass mapping : mappings) {
            names.addAll(ConfigMappings.getProperties(mapping).keySet());
        }
        return new EnvironmentCheck(names);
    }

    /**
     * Returns one warning for each variable of {@code environment} that starts with
     * {@value #PREFIX}, in any case, and matches no property, sorted by name. A warning names the
     * likely intended variable where one is at most a few letters away.
     */
    public List<String> warnings(Map<String, String> environment) {
        List<String> warnings = new ArrayList<>();
        for (String variable : new TreeSet<>(environment.keySet())) {
            String upper = variable.toUpperCase(Locale.ROOT);
            if (!upper.startsWith(PREFIX) || matchesProperty(upper)) {
                continue;
            }
            String suggestion = closest(upper);
            warnings.add("environment variable " + variable + " sets no rpzgate setting and is ignored"
                    + (suggestion == null ? "; docs/configuration.md lists the variables"
                            : "; did you mean " + suggestion + "?"));
        }
        return warnings;
    }

    private boolean matchesProperty(String variable) {
        for (Pattern property : properties) {
            if (property.matcher(variable).matches()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns the variable of a property within a few edits of {@code variable}, with the indexes
     * that {@code variable} gave, or null when none is that close.
     */
    private String closest(String variable) {
        List<String> indexes = new ArrayList<>();
        Matcher index = INDEX.matcher(variable);
        while (index.find()) {
            indexes.add(index.group());
        }
        String normalized = INDEX.matcher(variable).replaceAll(ANY_INDEX);
        int allowed = Math.max(1, Math.min(3, (normalized.length() - PREFIX.length()) / 4));
        String best = null;
        int bestDistance = allowed + 1;
        for (String candidate : candidates) {
            int distance = editDistance(normalized, candidate);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best == null ? null : withIndexes(best, indexes);
    }

    /** Puts the indexes of the misspelt variable back into the suggestion, in order, or 0 where it had fewer. */
    private static String withIndexes(String candidate, List<String> indexes) {
        StringBuilder result = new StringBuilder();
        int from = 0;
        int used = 0;
        int at;
        while ((at = candidate.indexOf(ANY_INDEX, from)) >= 0) {
            result.append(candidate, from, at).append(used < indexes.size() ? indexes.get(used++) : "_0_");
            from = at + ANY_INDEX.length();
        }
        return result.append(candidate.substring(from)).toString();
    }

    /** Returns the regular expression of the variables that set the property {@code name}. */
    static String variablePattern(String name) {
        StringBuilder pattern = new StringBuilder();
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (name.startsWith("[*]", i)) {
                pattern.append("_[0-9]+_");
                i += 2;
            } else if (c == '*') {
                pattern.append("[A-Z0-9_]+");
            } else if (Character.isLetterOrDigit(c)) {
                pattern.append(Character.toUpperCase(c));
            } else {
                pattern.append('_');
            }
        }
        return pattern.toString();
    }

    /** Levenshtein distance: the fewest insertions, deletions and substitutions that turn {@code a} into {@code b}. */
    static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
