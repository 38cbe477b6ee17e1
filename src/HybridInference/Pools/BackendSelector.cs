namespace HybridInference.Pools;

/// <summary>
/// Orders a pool's backends for one request: the strategy's choice first among those ready to take it, then the
/// other ready ones in configuration order, then those that are full, on probation with a trial out, or ejected
/// (a last resort before failing). Backends whose context window the request does not fit are left out.
/// </summary>
/// <remarks>Thread-safe; the round-robin state and the random source are guarded by one lock.</remarks>
internal sealed class BackendSelector
{
    private readonly BackendChatClient[] _backends;
    private readonly LoadBalancingStrategy _strategy;
    private readonly Random _random;
    private readonly Lock _gate = new();
    private readonly long[] _currentWeights;
    private int _rotation;

    /// <summary>Initializes a new instance of the <see cref="BackendSelector"/> class.</summary>
    /// <param name="backends">The pool's backends in configuration order.</param>
    /// <param name="strategy">How to choose.</param>
    /// <param name="random">The random source of <see cref="LoadBalancingStrategy.PowerOfTwoChoices"/>; a seeded one makes tests repeatable.</param>
    public BackendSelector(BackendChatClient[] backends, LoadBalancingStrategy strategy, Random? random = null)
    {
        _backends = backends;
        _strategy = strategy;
        _random = random ?? new Random();
        _currentWeights = new long[backends.Length];
    }

    /// <summary>Orders the backends that fit <paramref name="requiredTokens"/>; empty when none does.</summary>
    public int[] Order(int requiredTokens)
    {
        var ready = new List<int>(_backends.Length);
        var others = new List<int>();
        for (var i = 0; i < _backends.Length; i++)
        {
            var backend = _backends[i];
            if (backend.Info.Window is { } window && requiredTokens > window)
            {
                continue;
            }

            (backend.State.IsReady(backend.Info.MaxConcurrentRequests) ? ready : others).Add(i);
        }

        if (ready.Count > 1)
        {
            var first = _strategy switch
            {
                LoadBalancingStrategy.WeightedRoundRobin => WeightedRoundRobin(ready),
                LoadBalancingStrategy.LeastOutstanding => LeastOutstanding(ready),
                LoadBalancingStrategy.PowerOfTwoChoices => PowerOfTwoChoices(ready),
                _ => ready[0],
            };
            ready.Remove(first);
            ready.Insert(0, first);
        }

        // Full or probationary backends before ejected ones; within each, configuration order.
        others.Sort((a, b) => Rank(a).CompareTo(Rank(b)) is var byHealth and not 0 ? byHealth : a.CompareTo(b));
        ready.AddRange(others);
        return [.. ready];
    }

    private int Rank(int index) => _backends[index].State.Health == BackendHealth.Ejected ? 1 : 0;

    /// <summary>Smooth weighted round robin (as nginx does it): every backend gains its weight, the richest is chosen and pays the total.</summary>
    private int WeightedRoundRobin(List<int> ready)
    {
        lock (_gate)
        {
            long total = 0;
            var best = -1;
            foreach (var i in ready)
            {
                var weight = _backends[i].Info.Weight;
                _currentWeights[i] += weight;
                total += weight;
                if (best < 0 || _currentWeights[i] > _currentWeights[best])
                {
                    best = i;
                }
            }

            _currentWeights[best] -= total;
            return best;
        }
    }

    /// <summary>The fewest requests in flight (plus those the server reports waiting) per unit of weight; ties go round robin so equal backends share the load.</summary>
    private int LeastOutstanding(List<int> ready)
    {
        int rotation;
        lock (_gate)
        {
            rotation = _rotation++;
        }

        var best = -1;
        var bestLoad = double.MaxValue;
        for (var k = 0; k < ready.Count; k++)
        {
            var i = ready[(k + rotation) % ready.Count];
            var load = (double)(_backends[i].State.InFlight + _backends[i].State.ReportedQueue) / _backends[i].Info.Weight;
            if (load < bestLoad)
            {
                best = i;
                bestLoad = load;
            }
        }

        return best;
    }

    /// <summary>Two backends drawn by weight; the lower (latency moving average + 1 ms) × (requests in flight + 1) wins. A backend with no latency yet scores best, so it gets measured.</summary>
    private int PowerOfTwoChoices(List<int> ready)
    {
        int a, b;
        lock (_gate)
        {
            a = DrawByWeight(ready, exclude: -1);
            b = DrawByWeight(ready, exclude: a);
        }

        return Score(a) <= Score(b) ? a : b;

        double Score(int i)
        {
            var latency = _backends[i].State.LatencyEwmaMs;
            var load = _backends[i].State.InFlight + _backends[i].State.ReportedQueue + 1;
            return double.IsNaN(latency) ? 0 : (latency + 1) * load / _backends[i].Info.Weight;
        }
    }

    private int DrawByWeight(List<int> ready, int exclude)
    {
        long total = 0;
        foreach (var i in ready)
        {
            total += i == exclude ? 0 : _backends[i].Info.Weight;
        }

        var ticket = _random.NextInt64(total);
        foreach (var i in ready)
        {
            if (i == exclude)
            {
                continue;
            }

            ticket -= _backends[i].Info.Weight;
            if (ticket < 0)
            {
                return i;
            }
        }

        return ready[^1];
    }
}
