namespace HybridInference;

/// <summary>How local JSON answers are read and checked (configuration section <c>HybridInference:Validation</c>).</summary>
public sealed class ValidationOptions
{
    /// <summary>
    /// Gets or sets a value indicating whether JSON is extracted from what local models wrap it in (a fenced code
    /// block, prose before or after) before it is validated; each extraction is counted in
    /// <c>hybrid_inference.json_extractions</c>. The caller receives the extracted JSON. Default <see langword="true"/>.
    /// </summary>
    public bool ExtractJson { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether the JSON Schema keyword <c>format</c> rejects strings that are not of
    /// the named format (date-time, date, time, duration, email, hostname, ipv4, ipv6, uri, uri-reference, uuid,
    /// json-pointer, regex) instead of being an annotation only. Default <see langword="false"/>, as draft 2020-12
    /// specifies.
    /// </summary>
    public bool AssertFormats { get; set; }
}
