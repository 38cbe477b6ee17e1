using System.ComponentModel.DataAnnotations;
using HybridInference.Internal;

namespace HybridInference;

/// <summary>How requests are classified (configuration section <c>HybridInference:Classification</c>).</summary>
/// <remarks>
/// An explicit category on the request (<see cref="HybridChatOptionsExtensions.WithTaskCategory"/>) always wins.
/// Otherwise the most demanding category among the matching rules applies: keyword and pattern rules, tools
/// offered, conversation length; when nothing matches, <see cref="DefaultCategory"/>.
/// </remarks>
public sealed class ClassificationOptions
{
    /// <summary>Gets or sets the category of a request no rule matches. Default <see cref="TaskCategory.Routine"/>.</summary>
    public TaskCategory DefaultCategory { get; set; } = TaskCategory.Routine;

    /// <summary>Gets or sets the data policy of a request that does not set one. Default <see cref="DataPolicy.Any"/>.</summary>
    public DataPolicy DefaultDataPolicy { get; set; } = DataPolicy.Any;

    /// <summary>
    /// Gets or sets a value indicating whether the built-in keyword rules apply (reasoning and code words make a task
    /// complex; medical, legal and safety words make it safety-critical). Default <see langword="true"/>.
    /// </summary>
    public bool UseBuiltInRules { get; set; } = true;

    /// <summary>Gets the application's own rules, applied with the built-in ones.</summary>
    public IList<ClassificationRule> Rules { get; } = [];

    /// <summary>
    /// Gets or sets the category of a request that offers tools to the model (tool use is multi-step work).
    /// Default <see cref="TaskCategory.Complex"/>; <see langword="null"/> turns the rule off. It does not apply while a
    /// local backend declares <see cref="ModelCapabilities.Tools"/>: such a request then goes to that model.
    /// </summary>
    public TaskCategory? ToolsCategory { get; set; } = TaskCategory.Complex;

    /// <summary>
    /// Gets or sets the number of messages above which a conversation counts as complex. Default 20; 0 turns the rule off.
    /// It applies only while history fitting is off (<c>Local:History:Mode</c> <see cref="HistoryMode.Off"/>): with it on,
    /// a long conversation is fitted to the local window instead of being sent to the cloud for its length.
    /// </summary>
    [Range(0, int.MaxValue)]
    public int ComplexConversationMessages { get; set; } = Defaults.ComplexConversationMessages;
}
