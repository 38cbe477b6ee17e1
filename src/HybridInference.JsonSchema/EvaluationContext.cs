using System.Text;
using System.Text.Json;

namespace HybridInference.JsonSchema;

/// <summary>
/// The state of one validation: whether errors are being collected, the instance location, the dynamic scope for
/// <c>$dynamicRef</c>, and pooled evaluated-sets. One instance per thread is reused, so a valid document costs no
/// allocation.
/// </summary>
/// <remarks>Not thread-safe; use <see cref="Rent"/> and <see cref="Return"/>.</remarks>
internal sealed class EvaluationContext
{
    /// <summary>
    /// How deep evaluation may nest, into the document and through the schemas applied at each place, before it stops
    /// with a validation error: the compiler bounds the schema's own nesting, and this bounds the document's, so that
    /// neither can exhaust the stack.
    /// </summary>
    public const int MaxDepth = JsonSchemaDefaults.MaxEvaluationDepth;

    /// <summary>Evaluation checks the request's cancellation every this many schemas applied (a power of two, less one, as a mask).</summary>
    public const int CancellationCheckMask = 1023;

    [ThreadStatic]
    private static EvaluationContext? t_cached;

    private readonly List<(JsonProperty Property, int Index)> _path = [];
    private readonly Stack<EvaluatedSet> _sets = new();
    private SchemaResource?[] _scope = new SchemaResource?[16];
    private int _scopeCount;

    /// <summary>Gets a value indicating whether errors are collected (the second pass over an invalid document).</summary>
    public bool Collecting { get; private set; }

    /// <summary>Gets the errors collected so far.</summary>
    public List<JsonSchemaValidationError>? Errors { get; private set; }

    /// <summary>Gets a value indicating whether the dynamic scope is kept (the schema uses <c>$dynamicRef</c>).</summary>
    public bool TrackScope { get; private set; }

    /// <summary>Gets or sets the current nesting depth of evaluation.</summary>
    public int Depth { get; set; }

    /// <summary>Gets or sets how many schemas have been applied; every <see cref="CancellationCheckMask"/> + 1 the token is checked.</summary>
    public int Steps { get; set; }

    /// <summary>Gets the token that stops a long validation (the request's deadline or the caller's cancellation).</summary>
    public CancellationToken CancellationToken { get; private set; }

    /// <summary>Gets a context for one validation on this thread.</summary>
    public static EvaluationContext Rent(bool trackScope, CancellationToken cancellationToken = default)
    {
        var context = t_cached ?? new EvaluationContext();
        t_cached = null;
        context.TrackScope = trackScope;
        context.CancellationToken = cancellationToken;
        context.Steps = 0;
        context.Start(collecting: false);
        return context;
    }

    /// <summary>Gives <paramref name="context"/> back for reuse on this thread.</summary>
    public static void Return(EvaluationContext context)
    {
        context.Errors = null;
        context.CancellationToken = default;
        Array.Clear(context._scope, 0, context._scopeCount);
        t_cached = context;
    }

    /// <summary>Starts a pass over the document.</summary>
    public void Start(bool collecting)
    {
        Collecting = collecting;
        Errors = collecting ? [] : null;
        _path.Clear();
        Array.Clear(_scope, 0, _scopeCount);
        _scopeCount = 0;
        Depth = 0;
    }

    /// <summary>Stops or resumes collecting errors, for subschemas whose failure is not itself an error (<c>anyOf</c> branches).</summary>
    /// <returns>The previous setting, to restore.</returns>
    public bool SuspendCollecting()
    {
        var previous = Collecting;
        Collecting = false;
        return previous;
    }

    /// <summary>Restores the setting <see cref="SuspendCollecting"/> returned.</summary>
    public void ResumeCollecting(bool previous) => Collecting = previous;

    /// <summary>Records an error at the current instance location.</summary>
    public void AddError(string keyword, string message) =>
        Errors!.Add(new JsonSchemaValidationError(CurrentLocation(), keyword, message));

    /// <summary>Enters the object member <paramref name="property"/> (collecting pass only); its name is read only if an error needs it.</summary>
    public void PushProperty(JsonProperty property) => _path.Add((property, -1));

    /// <summary>Enters the array item <paramref name="index"/> (collecting pass only).</summary>
    public void PushIndex(int index) => _path.Add((default, index));

    /// <summary>Leaves the member or item entered last.</summary>
    public void Pop() => _path.RemoveAt(_path.Count - 1);

    /// <summary>Enters <paramref name="resource"/> in the dynamic scope unless it is already innermost.</summary>
    /// <returns><see langword="true"/> when it was pushed and must be popped with <see cref="LeaveResource"/>.</returns>
    public bool EnterResource(SchemaResource resource)
    {
        if (_scopeCount > 0 && ReferenceEquals(_scope[_scopeCount - 1], resource))
        {
            return false;
        }

        if (_scopeCount == _scope.Length)
        {
            Array.Resize(ref _scope, _scope.Length * 2);
        }

        _scope[_scopeCount++] = resource;
        return true;
    }

    /// <summary>Leaves the resource entered last.</summary>
    public void LeaveResource() => _scope[--_scopeCount] = null;

    /// <summary>Finds the outermost resource in the dynamic scope with a <c>$dynamicAnchor</c> named <paramref name="anchor"/>.</summary>
    public SchemaNode? FindDynamicAnchor(string anchor)
    {
        for (var i = 0; i < _scopeCount; i++)
        {
            if (_scope[i]!.DynamicAnchors.TryGetValue(anchor, out var node))
            {
                return node;
            }
        }

        return null;
    }

    /// <summary>Gets a cleared evaluated-set for an instance of <paramref name="count"/> members or items.</summary>
    public EvaluatedSet RentSet(int count)
    {
        var set = _sets.Count > 0 ? _sets.Pop() : new EvaluatedSet();
        set.Reset(count);
        return set;
    }

    /// <summary>Gives back a set from <see cref="RentSet"/>.</summary>
    public void ReturnSet(EvaluatedSet set) => _sets.Push(set);

    private string CurrentLocation()
    {
        if (_path.Count == 0)
        {
            return string.Empty;
        }

        var pointer = new StringBuilder();
        foreach (var (property, index) in _path)
        {
            pointer.Append('/');
            if (index >= 0)
            {
                pointer.Append(index);
            }
            else
            {
                pointer.Append(property.Name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal));
            }
        }

        return pointer.ToString();
    }
}
