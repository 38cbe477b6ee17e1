using System.Numerics;
using HybridInference.Internal;

namespace HybridInference.Pools;

/// <summary>
/// The local lane's models, formed from its backends by the model they serve, with the choice of model for every kind
/// of task worked out once at start-up: the router reads a <see cref="ModelChoice"/> from it per request (one array
/// read), the pool tries the chosen model's backends, then the next-best model's.
/// </summary>
/// <remarks>
/// A model is fit for a task when it declares the capabilities the task requires (<see cref="ModelCapabilities.Code"/>,
/// <see cref="ModelCapabilities.Tools"/>, <see cref="ModelCapabilities.Vision"/>) and its quantization allows the task:
/// low-bit (Q2_K, Q3) only for routine tasks that need nothing else, Q4_0 to Q4_K_S not for reasoning, extraction,
/// code or a complex task, Q4_K_M and better (or undeclared) for anything. Among fit models the best declares more of
/// what the task prefers (<see cref="ModelCapabilities.Reasoning"/>, <see cref="ModelCapabilities.Classification"/>,
/// <see cref="ModelCapabilities.LongContext"/>), fewer specialities it does not need (code, vision, embeddings,
/// classification), then has the fewest bits for tagging and classification (high volume) and the most for anything
/// else, then comes first in configuration. Immutable and thread-safe.
/// </remarks>
internal sealed class LocalModelCatalog
{
    private const ModelCapabilities Required = ModelCapabilities.Code | ModelCapabilities.Tools | ModelCapabilities.Vision;
    private const ModelCapabilities Preferred = ModelCapabilities.Reasoning | ModelCapabilities.Classification | ModelCapabilities.LongContext;
    private const ModelCapabilities Specialities = ModelCapabilities.Code | ModelCapabilities.Vision | ModelCapabilities.Embeddings | ModelCapabilities.Classification;
    private const int NeedKinds = 128; // Every combination of the seven capabilities.
    private const int Categories = 3;

    private readonly ModelChoice[] _choices;
    private readonly ModelChoice[] _single;

    private LocalModelCatalog(LocalModel[] models, bool active)
    {
        Models = models;
        Active = active;
        _choices = new ModelChoice[NeedKinds * Categories];
        for (var needs = 0; needs < NeedKinds; needs++)
        {
            for (var category = 0; category < Categories; category++)
            {
                _choices[(needs * Categories) + category] = Rank((ModelCapabilities)needs, (TaskCategory)category);
            }
        }

        _single = new ModelChoice[models.Length];
        for (var i = 0; i < models.Length; i++)
        {
            _single[i] = new ModelChoice([i], 1);
        }
    }

    /// <summary>Gets the models, in the order their first backend is configured.</summary>
    public LocalModel[] Models { get; }

    /// <summary>Gets a value indicating whether any backend declares capabilities or a quantization: only then are tasks sent by capability.</summary>
    public bool Active { get; }

    /// <summary>Gets every capability a local model declares.</summary>
    public ModelCapabilities Declared { get; private init; }

    /// <summary>Forms the models of a lane's backends (in configuration order): one per distinct <see cref="BackendInfo.Model"/>, compared ignoring case.</summary>
    public static LocalModelCatalog Create(IReadOnlyList<BackendInfo> backends)
    {
        var names = new List<string?>();
        var members = new List<List<int>>();
        var declared = ModelCapabilities.None;
        var active = false;
        for (var i = 0; i < backends.Count; i++)
        {
            var backend = backends[i];
            var index = names.FindIndex(n => string.Equals(n, backend.Model, StringComparison.OrdinalIgnoreCase));
            if (index < 0)
            {
                names.Add(backend.Model);
                members.Add([]);
                index = names.Count - 1;
            }

            members[index].Add(i);
            declared |= backend.Capabilities;
            active |= backend.Capabilities != ModelCapabilities.None || backend.Quantization != QuantizationLevel.Unknown;
        }

        var models = new LocalModel[names.Count];
        for (var m = 0; m < models.Length; m++)
        {
            var first = backends[members[m][0]];
            var capabilities = ModelCapabilities.None;
            foreach (var b in members[m])
            {
                capabilities |= backends[b].Capabilities;
            }

            models[m] = new LocalModel(names[m], capabilities, first.Quantization, [.. members[m]]);
        }

        return new LocalModelCatalog(models, active) { Declared = declared };
    }

    /// <summary>The models for a task, best-suited first: one array read.</summary>
    /// <param name="needs">What the task needs (<see cref="TaskProfile.RequiredCapabilities"/>).</param>
    /// <param name="category">The task's category.</param>
    public ModelChoice Choose(ModelCapabilities needs, TaskCategory category) =>
        _choices[(((int)needs & (NeedKinds - 1)) * Categories) + Math.Clamp((int)category, 0, Categories - 1)];

    /// <summary>Finds the model a caller asked for by name (<see cref="Microsoft.Extensions.AI.ChatOptions.ModelId"/>), ignoring case.</summary>
    /// <param name="model">The requested model.</param>
    /// <param name="choice">Only that model.</param>
    /// <returns>Whether a local backend serves it.</returns>
    public bool TryFind(string model, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelChoice? choice)
    {
        for (var i = 0; i < Models.Length; i++)
        {
            if (string.Equals(Models[i].Name, model, StringComparison.OrdinalIgnoreCase))
            {
                choice = _single[i];
                return true;
            }
        }

        choice = null;
        return false;
    }

    /// <summary>Whether a model is fit for a task.</summary>
    public static bool Fits(LocalModel model, ModelCapabilities needs, TaskCategory category)
    {
        if (model.Capabilities == ModelCapabilities.Embeddings || (needs & Required & ~model.Capabilities) != 0)
        {
            return false;
        }

        return Quantizations.Tier(model.Quantization) switch
        {
            Quantizations.QuantizationTier.LowBit => category == TaskCategory.Routine && (needs & ~ModelCapabilities.Classification) == 0,
            Quantizations.QuantizationTier.Middle => category == TaskCategory.Routine && (needs & (ModelCapabilities.Reasoning | ModelCapabilities.Code)) == 0,
            _ => true,
        };
    }

    private ModelChoice Rank(ModelCapabilities needs, TaskCategory category)
    {
        var order = new int[Models.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var fewestBits = (needs & ModelCapabilities.Classification) != 0;
        Array.Sort(order, (a, b) =>
        {
            var (x, y) = (Models[a], Models[b]);
            var byFit = Fits(y, needs, category).CompareTo(Fits(x, needs, category));
            var byRequired = BitOperations.PopCount((uint)(y.Capabilities & needs & Required)).CompareTo(BitOperations.PopCount((uint)(x.Capabilities & needs & Required)));
            var byPreferred = BitOperations.PopCount((uint)(y.Capabilities & needs & Preferred)).CompareTo(BitOperations.PopCount((uint)(x.Capabilities & needs & Preferred)));
            var bySpeciality = BitOperations.PopCount((uint)(x.Capabilities & Specialities & ~needs)).CompareTo(BitOperations.PopCount((uint)(y.Capabilities & Specialities & ~needs)));
            var byBits = fewestBits
                ? Quantizations.Rank(x.Quantization).CompareTo(Quantizations.Rank(y.Quantization))
                : Quantizations.Rank(y.Quantization).CompareTo(Quantizations.Rank(x.Quantization));
            return byFit != 0 ? byFit : byRequired != 0 ? byRequired : byPreferred != 0 ? byPreferred : bySpeciality != 0 ? bySpeciality : byBits != 0 ? byBits : a.CompareTo(b);
        });

        var fitting = 0;
        while (fitting < order.Length && Fits(Models[order[fitting]], needs, category))
        {
            fitting++;
        }

        return new ModelChoice(order, fitting);
    }
}
