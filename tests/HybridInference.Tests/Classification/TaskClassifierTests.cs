using HybridInference.Classification;
using HybridInference.Tokens;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Classification;

public sealed class TaskClassifierTests
{
    private static TaskClassifier Create(Action<ClassificationOptions>? configure = null)
    {
        var options = new ClassificationOptions();
        configure?.Invoke(options);
        return new TaskClassifier(options, new HeuristicTokenCounter());
    }

    [Fact]
    public void Classify_NoRuleMatches_DefaultCategoryRoutine()
    {
        var profile = Create().Classify(User("Translate 'good morning' into Spanish."), null);

        Assert.Equal(TaskCategory.Routine, profile.Category);
        Assert.Equal(CategorySource.Default, profile.CategorySource);
        Assert.Equal(DataPolicy.Any, profile.DataPolicy);
        Assert.False(profile.RequiresJson);
    }

    [Fact]
    public void Classify_ExplicitCategory_WinsOverRules()
    {
        var options = new ChatOptions().WithTaskCategory(TaskCategory.Routine);

        var profile = Create().Classify(User("Debug this stack trace step by step."), options);

        Assert.Equal(TaskCategory.Routine, profile.Category);
        Assert.Equal(CategorySource.Explicit, profile.CategorySource);
    }

    [Theory]
    [InlineData("Walk me through it step by step.", TaskCategory.Complex)]
    [InlineData("Please DEBUGGING this function", TaskCategory.Complex)]
    [InlineData("What is the maximum dosage of ibuprofen?", TaskCategory.SafetyCritical)]
    [InlineData("Can you diagnose my symptoms?", TaskCategory.SafetyCritical)]
    [InlineData("I need legal advice about my lease.", TaskCategory.SafetyCritical)]
    public void Classify_BuiltInKeyword_GivesItsCategory(string prompt, TaskCategory expected)
    {
        var profile = Create().Classify(User(prompt), null);

        Assert.Equal(expected, profile.Category);
        Assert.Equal(CategorySource.Rule, profile.CategorySource);
    }

    [Theory]
    [InlineData("Improve the wording of this email.")] // "prove" inside "improve"
    [InlineData("Summarize the proofreading guidelines.")] // "proof" inside "proofreading"
    public void Classify_KeywordInsideAnotherWord_DoesNotMatch(string prompt)
    {
        Assert.Equal(TaskCategory.Routine, Create().Classify(User(prompt), null).Category);
    }

    [Fact]
    public void Classify_SafetyCriticalAndComplexBothMatch_MostDemandingWins()
    {
        var profile = Create().Classify(User("Step by step, check this medication dosage."), null);

        Assert.Equal(TaskCategory.SafetyCritical, profile.Category);
    }

    [Theory]
    [InlineData("Debug this, then check the dosage.")] // the complex keyword comes first in the text
    [InlineData("Check the dosage, then debug this.")]
    public void Classify_KeywordsOfBothCategoriesInOneText_MostDemandingWinsWhereverItStands(string prompt)
    {
        Assert.Equal(TaskCategory.SafetyCritical, Create().Classify(User(prompt), null).Category);
    }

    [Fact]
    public void Classify_ComplexKeywordInOneMessage_SafetyCriticalInALaterOne_MostDemandingWins()
    {
        ChatMessage[] messages = [new(ChatRole.System, "Reason through every answer."), new(ChatRole.User, "Is this medication safe?")];

        Assert.Equal(TaskCategory.SafetyCritical, Create().Classify(messages, null).Category);
    }

    [Fact]
    public void Classify_PatternOfAMoreDemandingCategory_BeatsAKeywordOfALesserOne_AndALesserPatternDoesNot()
    {
        var classifier = Create(o =>
        {
            o.Rules.Add(new ClassificationRule { Category = TaskCategory.SafetyCritical, Pattern = @"\bICD-?10\b" });
            o.Rules.Add(new ClassificationRule { Category = TaskCategory.Routine, Pattern = "(?i)summari[sz]e" });
            var routine = new ClassificationRule { Category = TaskCategory.Routine };
            routine.Keywords.Add("tl;dr");
            o.Rules.Add(routine);
        });

        Assert.Equal(TaskCategory.SafetyCritical, classifier.Classify(User("Debug the ICD10 lookup."), null).Category);
        Assert.Equal(TaskCategory.Complex, classifier.Classify(User("Summarize the root cause."), null).Category);
        var routine = classifier.Classify(User("Summarize the memo."), null);
        Assert.Equal((TaskCategory.Routine, CategorySource.Rule), (routine.Category, routine.CategorySource));
        Assert.Equal(CategorySource.Rule, classifier.Classify(User("tl;dr of the memo"), null).CategorySource);
        Assert.Equal(CategorySource.Default, classifier.Classify(User("Hello there"), null).CategorySource);
    }

    [Fact]
    public void Classify_OneKeywordInTwoCategories_CountsForTheMoreDemanding()
    {
        var classifier = Create(o =>
        {
            o.UseBuiltInRules = false;
            var complex = new ClassificationRule { Category = TaskCategory.Complex };
            complex.Keywords.Add("audit*");
            var critical = new ClassificationRule { Category = TaskCategory.SafetyCritical };
            critical.Keywords.Add("audit");
            o.Rules.Add(complex);
            o.Rules.Add(critical);
        });

        Assert.Equal(TaskCategory.SafetyCritical, classifier.Classify(User("Run the audit."), null).Category);
        Assert.Equal(TaskCategory.Complex, classifier.Classify(User("Plan the auditing."), null).Category);
    }

    [Fact]
    public void Classify_BuiltInRulesOff_KeywordsIgnored()
    {
        var profile = Create(o => o.UseBuiltInRules = false).Classify(User("Explain it step by step."), null);

        Assert.Equal(TaskCategory.Routine, profile.Category);
    }

    [Fact]
    public void Classify_CustomKeywordAndPatternRules_Apply()
    {
        var classifier = Create(o =>
        {
            var keywords = new ClassificationRule { Category = TaskCategory.Complex };
            keywords.Keywords.Add("quarterly forecast");
            o.Rules.Add(keywords);
            o.Rules.Add(new ClassificationRule { Category = TaskCategory.SafetyCritical, Pattern = @"\bICD-?10\b" });
        });

        Assert.Equal(TaskCategory.Complex, classifier.Classify(User("Build the Quarterly Forecast."), null).Category);
        Assert.Equal(TaskCategory.SafetyCritical, classifier.Classify(User("Which ICD10 code applies?"), null).Category);
    }

    [Fact]
    public void Classify_SystemPromptAndInstructions_AreRead_AssistantTextIsNot()
    {
        var classifier = Create();
        ChatMessage[] assistantSaid = [new(ChatRole.Assistant, "Let me debug that."), new(ChatRole.User, "Thanks, summarize it.")];
        ChatMessage[] systemSays = [new(ChatRole.System, "You give legal advice."), new(ChatRole.User, "Hi")];

        Assert.Equal(TaskCategory.Routine, classifier.Classify(assistantSaid, null).Category);
        Assert.Equal(TaskCategory.SafetyCritical, classifier.Classify(systemSays, null).Category);
        Assert.Equal(TaskCategory.Complex, classifier.Classify(User("Hi"), new ChatOptions { Instructions = "Reason through it step by step." }).Category);
    }

    [Fact]
    public void Classify_ToolsOffered_Complex()
    {
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create(() => 42, "answer")] };

        var profile = Create().Classify(User("What is the answer?"), options);

        Assert.Equal(TaskCategory.Complex, profile.Category);
        Assert.Equal(CategorySource.Tools, profile.CategorySource);
    }

    [Fact]
    public void Classify_LongConversation_Complex()
    {
        var messages = Enumerable.Range(0, 21).Select(i => new ChatMessage(i % 2 == 0 ? ChatRole.User : ChatRole.Assistant, "ok")).ToList();

        var profile = Create().Classify(messages, null);

        Assert.Equal(TaskCategory.Complex, profile.Category);
        Assert.Equal(CategorySource.ConversationLength, profile.CategorySource);
        Assert.Equal(TaskCategory.Routine, Create(o => o.ComplexConversationMessages = 0).Classify(messages, null).Category);
    }

    [Fact]
    public void Classify_JsonFormat_RequiresJson_TextFormatDoesNot()
    {
        var classifier = Create();

        Assert.True(classifier.Classify(User("x"), Json()).RequiresJson);
        Assert.True(classifier.Classify(User("x"), new ChatOptions { ResponseFormat = ChatResponseFormat.Json }).RequiresJson);
        Assert.False(classifier.Classify(User("x"), new ChatOptions { ResponseFormat = ChatResponseFormat.Text }).RequiresJson);
    }

    [Fact]
    public void Classify_DataPolicy_ExplicitOrConfiguredDefault()
    {
        Assert.Equal(DataPolicy.LocalOnly, Create().Classify(User("x"), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly)).DataPolicy);
        Assert.Equal(DataPolicy.LocalOnly, Create(o => o.DefaultDataPolicy = DataPolicy.LocalOnly).Classify(User("x"), null).DataPolicy);
    }

    [Fact]
    public void Classify_RequiredContextTokens_AddsRequestedOutput()
    {
        var profile = Create().Classify(User("Summarize."), new ChatOptions { MaxOutputTokens = 500 });

        Assert.Equal(profile.EstimatedPromptTokens + 500, profile.RequiredContextTokens);
    }
}
