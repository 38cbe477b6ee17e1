namespace HybridInference.Tests.Classification;

public sealed class HybridChatOptionsExtensionsTests
{
    [Fact]
    public void WithTaskCategoryAndDataPolicy_RoundTrip()
    {
        var options = new ChatOptions().WithTaskCategory(TaskCategory.SafetyCritical).WithDataPolicy(DataPolicy.LocalOnly);

        Assert.Equal(TaskCategory.SafetyCritical, options.GetTaskCategory());
        Assert.Equal(DataPolicy.LocalOnly, options.GetDataPolicy());
        Assert.Null(new ChatOptions().GetTaskCategory());
        Assert.Null(((ChatOptions?)null).GetDataPolicy());
    }

    [Fact]
    public void WithTaskCategory_UndefinedValue_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ChatOptions().WithTaskCategory((TaskCategory)42));
        Assert.Equal("category", error.ParamName);
    }

    [Fact]
    public void Settings_SurviveClone()
    {
        var clone = new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly).Clone();

        Assert.Equal(DataPolicy.LocalOnly, clone.GetDataPolicy());
    }
}
