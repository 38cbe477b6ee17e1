namespace HybridInference;

/// <summary>Whether a pool sends a backend requests.</summary>
public enum BackendHealth
{
    /// <summary>In service.</summary>
    Healthy,

    /// <summary>Set aside after failures in a row; used only when no other backend of its lane can take a request.</summary>
    Ejected,

    /// <summary>Back from ejection on trial: one request at a time, until a success returns it to service or a failure ejects it again.</summary>
    Probation,
}
