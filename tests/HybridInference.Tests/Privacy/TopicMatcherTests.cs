using HybridInference.Privacy;

namespace HybridInference.Tests.Privacy;

/// <summary>
/// The built-in sensitive topics find their matters and nothing else: each set's examples match it, and routine
/// prompts (many of them using the everyday sense of a word a topic uses in its sensitive sense) match none.
/// </summary>
public sealed class TopicMatcherTests
{
    /// <summary>Routine work, none of it about health, employment or legal matters; several use words the topics avoid on purpose.</summary>
    public static TheoryData<string> RoutinePrompts() =>
    [
        "Summarize this ticket in one line: the login page times out after the last deploy.",
        "Please be patient: the build takes about ten minutes on the shared runner.",
        "Classify this review as positive, negative or neutral: 'Fast shipping, great product.'",
        "Translate 'Where is the train station?' into French and German.",
        "Extract the order id and the delivery date from: Order 88123 ships on 4 March.",
        "Run the compiler diagnostics and list every warning in the Parser project.",
        "The loop's termination condition is wrong: it never exits when the list is empty.",
        "What is the settlement date of a T+2 equity trade executed on a Friday?",
        "List the symptoms of a memory leak in a long-running .NET service.",
        "Remove the data redundancy between the orders and the invoices tables.",
        "Explain bus arbitration on a PCI bus in two sentences.",
        "The click event fired twice; why does the handler run two times?",
        "Write a haiku about autumn leaves and a cup of tea.",
        "Tag these keywords: kubernetes, helm, ingress, load balancer.",
        "Draft a friendly reminder that the team lunch is on Thursday at noon.",
        "Convert 72 degrees Fahrenheit to Celsius and explain the formula.",
        "pip install requests fails behind the proxy; which setting fixes it?",
        "Upgrade the package from v10.2 to v11.0 and note what changed in the changelog.",
        "The function has side effects on the global cache; refactor it to be pure.",
        "Write the output in the prescribed format: one JSON object per line.",
        "Give me three title ideas for a blog post about sourdough bread.",
        "Our service discovery uses Consul; how do we register a new health check?",
        "Compare thin-film vapor deposition methods for solar panels in a short table.",
        "Rename the variable 'tmp' to 'buffer' in every file of the module.",
        "The CI background check for dependency updates runs every night at 2am.",
        "Score this support chat for politeness from 1 to 5.",
        "Bonus points if the answer fits in a tweet: what is a monad?",
        "Sort these cities by population: Lyon, Marseille, Paris, Toulouse.",
        "Which version of Python added the walrus operator? Answer in one word.",
        "Apply dependency injection to the logger so the tests can replace it.",
    ];

    public static TheoryData<string, string> TopicExamples() => new()
    {
        { "health", "Summarize the patient's medication and dosage from these notes." },
        { "health", "The patient was diagnosed with type 2 diabetes last spring." },
        { "health", "Code this visit: essential hypertension, then E11.9 for the diabetes." },
        { "health", "Write a discharge summary for the attached clinical notes." },
        { "health", "Draft a letter to the pharmacy about the missing prescription." },
        { "health", "List the patients who had a blood test this week." },
        { "health", "Her lab results and mental health history are attached; summarize them." },
        { "health", "Which ICD-10 code fits an allergic reaction to penicillin?" },
        { "hr", "Compare Ana's salary with the band for her level." },
        { "hr", "Write the performance review for Tom: missed deadlines twice this quarter." },
        { "hr", "Draft a disciplinary letter after the second written warning." },
        { "hr", "Prepare the termination of employment paperwork and the severance offer." },
        { "hr", "Summarize the grievance filed against the night-shift manager." },
        { "hr", "How many days of maternity leave does Priya have left?" },
        { "legal", "This memo is covered by attorney-client privilege; summarize it." },
        { "legal", "Summarize the status of the litigation with our former supplier." },
        { "legal", "Draft a response to the settlement offer the plaintiff sent." },
        { "legal", "We received a subpoena for the 2023 emails; what do we keep?" },
        { "legal", "Prepare the exhibits for case 1:21-cv-01234 before Monday." },
        { "legal", "Write a cease and desist letter about the copied logo." },
    };

    private static TopicMatcher AllBuiltIn()
    {
        var options = new SensitiveTopicsOptions();
        foreach (var name in new[] { "health", "hr", "legal" })
        {
            options.BuiltIn.Add(name);
        }

        return TopicMatcher.Create(options)!;
    }

    [Fact]
    public void Corpus_HasAtLeastTwentyRoutinePrompts()
    {
        Assert.True(RoutinePrompts().Count >= 20);
    }

    [Theory]
    [MemberData(nameof(RoutinePrompts))]
    public void RoutinePrompt_MatchesNoBuiltInTopic(string prompt)
    {
        Assert.Null(AllBuiltIn().Find(prompt));
    }

    [Theory]
    [MemberData(nameof(TopicExamples))]
    public void TopicExample_MatchesItsTopic(string topic, string prompt)
    {
        Assert.Equal(topic, AllBuiltIn().Find(prompt));
    }

    [Theory]
    [MemberData(nameof(TopicExamples))]
    public void TopicExample_MatchesOnlyWhenItsTopicIsOn(string topic, string prompt)
    {
        var others = new SensitiveTopicsOptions();
        foreach (var name in new[] { "health", "hr", "legal" }.Where(name => name != topic))
        {
            others.BuiltIn.Add(name);
        }

        Assert.Null(TopicMatcher.Create(others)!.Find(prompt));
    }

    [Theory]
    [InlineData("MEDICATION list for tomorrow", "health")]
    [InlineData("Salary bands, please", "hr")]
    [InlineData("a SubPoena arrived", "legal")]
    public void Keywords_MatchInAnyCase(string text, string topic)
    {
        Assert.Equal(topic, AllBuiltIn().Find(text));
    }

    [Theory]
    [InlineData("premedications")]        // inside a longer word
    [InlineData("antisalary")]
    [InlineData("the code e11.9 in lower case")] // ICD codes are written in capitals
    [InlineData("version V10.2")]         // V codes are left out: versions look like them
    public void Keywords_MatchOnlyAtWordBoundaries_IcdCodesOnlyInCapitals(string text)
    {
        Assert.Null(AllBuiltIn().Find(text));
    }

    [Fact]
    public void CustomTopic_MatchesItsKeywordsAndPatterns_AndReportsItsName()
    {
        var options = new SensitiveTopicsOptions();
        var set = new SensitiveTopicSet();
        set.Keywords.Add("Project Falcon");
        set.Keywords.Add("merger*");
        set.Patterns.Add(@"\bDEAL-[0-9]{4}\b");
        options.Custom["mergers"] = set;
        var matcher = TopicMatcher.Create(options)!;

        Assert.Equal(
            ["mergers", "mergers", "mergers", null],
            new[] { "Status of project falcon?", "Two mergers this year.", "See deal-2291 for terms.", "A falcon flew by." }.Select(matcher.Find));
    }

    [Fact]
    public void NoTopicConfigured_NoMatcherIsMade()
    {
        Assert.Null(TopicMatcher.Create(new SensitiveTopicsOptions()));
    }

    [Theory]
    [InlineData("BuiltIn", "medical", "HybridInference:Privacy:Topics:BuiltIn:0")]
    [InlineData("Custom", "", "HybridInference:Privacy:Topics:Custom:deals")]
    [InlineData("Keyword", " ", "HybridInference:Privacy:Topics:Custom:deals:Keywords:0")]
    [InlineData("Pattern", "(a)\\1", "HybridInference:Privacy:Topics:Custom:deals:Patterns:0")]
    [InlineData("Pattern", "[unclosed", "HybridInference:Privacy:Topics:Custom:deals:Patterns:0")]
    public void TopicThatCannotBeUsed_IsRefusedNamingItsKey(string what, string value, string key)
    {
        var options = new SensitiveTopicsOptions();
        var set = new SensitiveTopicSet();
        switch (what)
        {
            case "BuiltIn":
                options.BuiltIn.Add(value);
                break;
            case "Custom":
                options.Custom["deals"] = set;
                break;
            case "Keyword":
                set.Keywords.Add(value);
                options.Custom["deals"] = set;
                break;
            default:
                set.Patterns.Add(value);
                options.Custom["deals"] = set;
                break;
        }

        var error = Assert.Throws<ArgumentException>(() => TopicMatcher.Create(options));
        Assert.Contains(key + " ", error.Message, StringComparison.Ordinal);
    }
}
