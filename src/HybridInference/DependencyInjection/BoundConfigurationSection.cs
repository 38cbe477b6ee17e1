namespace HybridInference.DependencyInjection;

/// <summary>
/// A section under <c>HybridInference</c> that a package binds to options of its own (the SQLite ledger's
/// <c>Observability:Ledger</c>), declared with <see cref="HybridInferenceBuilder.DeclareConfigurationSection"/> so that
/// the unknown-key check knows its keys.
/// </summary>
/// <param name="Path">The section's full path (<c>HybridInference:Observability:Ledger</c>).</param>
/// <param name="OptionsType">The type it is bound to.</param>
internal sealed record BoundConfigurationSection(string Path, Type OptionsType);
