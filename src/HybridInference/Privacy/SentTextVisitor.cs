using System.Text;

namespace HybridInference.Privacy;

/// <summary>
/// What <see cref="SentText"/> does with each piece of text a request would send: look for sensitive topics and
/// personal data (<see cref="Finder"/>, for the classifier) or replace it (<see cref="Redactor"/>, for the cloud lane). Both walk
/// the same way, so what is scanned and what is redacted cannot differ.
/// </summary>
internal abstract class SentTextVisitor
{
    /// <summary>Gets a value indicating whether the walk builds a copy of the request from the texts returned.</summary>
    public abstract bool Rewrites { get; }

    /// <summary>Gets or sets a value indicating whether the walk can stop: the visitor has what it looked for.</summary>
    public bool Done { get; protected set; }

    /// <summary>Visits one text.</summary>
    /// <param name="text">The text, as a backend would get it.</param>
    /// <returns>The text to send instead, or <see langword="null"/> to send it as it is.</returns>
    public abstract string? Visit(string text);

    /// <summary>
    /// Finds whether a request touches a sensitive topic or holds personal data, in one walk: it stops at the first
    /// topic (which makes the request local-only whatever else it holds), and at the first personal data when
    /// <c>stopAtPersonalData</c> (the request becomes local-only too); otherwise, once personal data is found, it looks
    /// only for topics in the rest.
    /// </summary>
    internal sealed class Finder(IPiiDetector? detector, bool stopAtPersonalData, TopicMatcher? topics, CancellationToken cancellationToken) : SentTextVisitor
    {
        /// <summary>Gets the kind of the first personal data found, if any.</summary>
        public string? Kind { get; private set; }

        /// <summary>Gets the sensitive topic found, if any.</summary>
        public string? Topic { get; private set; }

        public override bool Rewrites => false;

        public override string? Visit(string text)
        {
            if (text.Length == 0)
            {
                return null;
            }

            if (topics is not null)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (topics.Find(text) is { } topic)
                {
                    Topic = topic;
                    Done = true;
                    return null;
                }
            }

            if (Kind is null && detector is not null && detector.Detect(text, cancellationToken) is { Count: > 0 } matches)
            {
                Kind = matches[0].Kind;
                Done = stopAtPersonalData || topics is null;
            }

            return null;
        }
    }

    /// <summary>Replaces each match by its kind in brackets, e.g. <c>[EMAIL]</c>.</summary>
    internal sealed class Redactor(IPiiDetector detector, CancellationToken cancellationToken) : SentTextVisitor
    {
        public override bool Rewrites => true;

        public override string? Visit(string text) =>
            text.Length > 0 && detector.Detect(text, cancellationToken) is { Count: > 0 } matches ? Replace(text, matches) : null;

        /// <exception cref="InvalidOperationException">The matches overlap or lie outside the text.</exception>
        internal static string Replace(string text, IReadOnlyList<PiiMatch> matches)
        {
            var redacted = new StringBuilder(text.Length);
            var at = 0;
            for (var i = 0; i < matches.Count; i++)
            {
                var match = matches[i];
                if (match.Index < at || match.Length <= 0 || match.Index > text.Length - match.Length)
                {
                    throw new InvalidOperationException("The personal-data detector returned overlapping or out-of-range matches.");
                }

                redacted.Append(text, at, match.Index - at).Append('[').Append(match.Kind.ToUpperInvariant()).Append(']');
                at = match.Index + match.Length;
            }

            return redacted.Append(text, at, text.Length - at).ToString();
        }
    }
}
