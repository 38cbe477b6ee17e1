namespace HybridInference.Pools;

/// <summary>
/// The local models a request may run on, best-suited first (indexes into <see cref="LocalModelCatalog.Models"/>):
/// the router writes it, the local pool tries the backends of each model in turn. Made once at start-up per kind of task.
/// </summary>
/// <param name="Order">Every model, the fit ones first, each group best first.</param>
/// <param name="Fitting">How many of the first models in <see cref="Order"/> are fit for the task; 0 when none is.</param>
internal sealed record ModelChoice(int[] Order, int Fitting)
{
    /// <summary>Gets the models the pool tries: the fit ones, or every model, best first, when none is fit (the request had to stay local).</summary>
    public int Tried => Fitting > 0 ? Fitting : Order.Length;
}
