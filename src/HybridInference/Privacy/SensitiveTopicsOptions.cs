namespace HybridInference;

/// <summary>
/// The sensitive topics that keep a request local (configuration section <c>HybridInference:Privacy:Topics</c>): a
/// request whose text (anything it would send: messages, instructions, tool calls and results, tool definitions, the
/// response schema) touches one of them is treated as <see cref="DataPolicy.LocalOnly"/>, and its outcome names the
/// topic (<see cref="RouteOutcome.SensitiveTopic"/>).
/// </summary>
/// <remarks>
/// Keywords match case-insensitively at word boundaries (<c>word*</c> as a prefix), all topics' keywords in one
/// vectorised pass over each text; patterns are linear-time regular expressions, matched case-insensitively. With no
/// topic configured nothing is looked for and nothing is spent. Unlike <c>Privacy:Action</c>, a topic never redacts:
/// a request on a sensitive topic is sent only to local backends.
/// </remarks>
public sealed class SensitiveTopicsOptions
{
    /// <summary>
    /// Gets the built-in topics switched on, by name (any case): <c>health</c> (diagnoses, medication and dosage,
    /// prescriptions, patients, medical records, ICD-10 codes such as <c>E11.9</c>), <c>hr</c> (salaries and payroll,
    /// performance reviews, disciplinary matters, termination of employment, grievances, leave) and <c>legal</c>
    /// (attorney-client privilege, litigation, settlements, subpoenas, court filings). Each is reported under its name.
    /// </summary>
    public IList<string> BuiltIn { get; } = [];

    /// <summary>
    /// Gets the application's own topics, by name (the name the outcome and the <c>sensitive_topic</c> metric tag report;
    /// a name is not a secret, and the matched text is never reported). A set named like a built-in topic adds to it
    /// when that one is on too.
    /// </summary>
    public IDictionary<string, SensitiveTopicSet> Custom { get; } = new Dictionary<string, SensitiveTopicSet>(StringComparer.OrdinalIgnoreCase);
}
