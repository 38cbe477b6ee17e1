namespace HybridInference;

/// <summary>One reason a JSON document does not match its schema.</summary>
/// <param name="InstanceLocation">Where in the document the error is, as a JSON Pointer (<c>""</c> is the root, <c>/items/0/name</c> a nested value).</param>
/// <param name="Keyword">The schema keyword that failed (<c>type</c>, <c>required</c>, ...).</param>
/// <param name="Message">A short description fit to show a model in a retry prompt.</param>
public sealed record JsonSchemaValidationError(string InstanceLocation, string Keyword, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{(InstanceLocation.Length == 0 ? "/" : InstanceLocation)}: {Message} ({Keyword})";
}
