namespace HybridInference;

/// <summary>Whether a request's data may leave the machine.</summary>
public enum DataPolicy
{
    /// <summary>The request may be served by local or cloud backends.</summary>
    Any = 0,

    /// <summary>
    /// The request is served only by local backends. No component sends it to a cloud backend, whatever fails;
    /// when local backends cannot serve it, the caller gets a typed <see cref="HybridInferenceException"/>.
    /// </summary>
    LocalOnly = 1,
}
