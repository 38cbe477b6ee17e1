using System.Reflection;
using System.Text;
using Xunit;

namespace HybridInference.TestUtilities;

/// <summary>
/// Writes the public surface of an assembly (types and members, by reflection) as sorted text lines, so that a test
/// can compare it with a checked-in PublicAPI.txt and every change to the surface shows in review.
/// </summary>
public static class PublicApi
{
    public static string Describe(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes())
        {
            lines.Add($"{Kind(type)} {Name(type)}{Bases(type)}");
            const BindingFlags Flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var member in type.GetMembers(Flags))
            {
                var line = Member(type, member);
                if (line is not null)
                {
                    lines.Add(line);
                }
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>Compares the surface with the file; on a difference writes PublicAPI.received.txt beside it and fails.</summary>
    public static void Verify(Assembly assembly, string approvedPath)
    {
        var actual = Describe(assembly);
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : string.Empty;
        if (actual == approved)
        {
            return;
        }

        var received = Path.ChangeExtension(approvedPath, ".received.txt");
        File.WriteAllText(received, actual);
        var added = actual.Split('\n').Except(approved.Split('\n')).Take(20);
        var removed = approved.Split('\n').Except(actual.Split('\n')).Take(20);
        Assert.Fail(
            $"The public API of {assembly.GetName().Name} changed. If that is intended, copy {received} over {approvedPath}.\n" +
            $"Added:\n  {string.Join("\n  ", added)}\nRemoved:\n  {string.Join("\n  ", removed)}");
    }

    private static string Kind(Type type) =>
        type.IsInterface ? "interface"
        : type.IsEnum ? "enum"
        : type.IsValueType ? (type.IsByRefLike ? "ref struct" : "struct")
        : typeof(Delegate).IsAssignableFrom(type) ? "delegate"
        : type.IsAbstract && type.IsSealed ? "static class"
        : type.IsSealed ? "sealed class"
        : type.IsAbstract ? "abstract class"
        : "class";

    private static string Bases(Type type)
    {
        var bases = new List<string>();
        if (type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum))
        {
            bases.Add(Name(b));
        }

        bases.AddRange(type.GetInterfaces().Where(i => i.IsPublic || i.IsNestedPublic).Select(Name).Order(StringComparer.Ordinal));
        return bases.Count == 0 ? string.Empty : " : " + string.Join(", ", bases);
    }

    private static string? Member(Type type, MemberInfo member)
    {
        var owner = Name(type);
        switch (member)
        {
            case ConstructorInfo c:
                return $"{owner}.ctor({Parameters(c)})";
            case MethodInfo m when !m.IsSpecialName:
                var generic = m.IsGenericMethod ? "<" + string.Join(", ", m.GetGenericArguments().Select(a => a.Name)) + ">" : string.Empty;
                return $"{owner}.{m.Name}{generic}({Parameters(m)}) -> {Name(m.ReturnType)}{(m.IsStatic ? " static" : string.Empty)}{(m.IsAbstract && !type.IsInterface ? " abstract" : m.IsVirtual && !m.IsFinal && !type.IsInterface ? " virtual" : string.Empty)}";
            case PropertyInfo p:
                var accessors = (p.GetMethod?.IsPublic == true ? "get; " : string.Empty)
                    + (p.SetMethod?.IsPublic == true ? (p.SetMethod.ReturnParameter.GetRequiredCustomModifiers().Any(t => t.Name == "IsExternalInit") ? "init; " : "set; ") : string.Empty);
                return $"{owner}.{p.Name} : {Name(p.PropertyType)} {{ {accessors}}}";
            case FieldInfo f when type.IsEnum:
                return f.IsStatic ? $"{owner}.{f.Name} = {Convert.ToInt64(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture)}" : null;
            case FieldInfo f:
                return $"{owner}.{f.Name} : {Name(f.FieldType)}{(f.IsLiteral ? " const" : f.IsStatic ? " static" : string.Empty)}";
            case EventInfo e:
                return $"{owner}.{e.Name} : event {Name(e.EventHandlerType!)}";
            default:
                return null;
        }
    }

    private static string Parameters(MethodBase method) =>
        string.Join(", ", method.GetParameters().Select(p =>
            (p.ParameterType.IsByRef ? (p.IsOut ? "out " : "ref ") : string.Empty)
            + Name(p.ParameterType.IsByRef ? p.ParameterType.GetElementType()! : p.ParameterType)
            + " " + p.Name
            + (p.HasDefaultValue ? " = " + (p.DefaultValue?.ToString() ?? "null") : string.Empty)));

    private static string Name(Type type)
    {
        if (type.IsGenericParameter)
        {
            return type.Name;
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Name(underlying) + "?";
        }

        if (type.IsArray)
        {
            return Name(type.GetElementType()!) + "[]";
        }

        var name = type.IsNested ? Name(type.DeclaringType!) + "." + type.Name : type.Namespace + "." + type.Name;
        if (!type.IsGenericType)
        {
            return name;
        }

        var builder = new StringBuilder(name[..name.IndexOf('`', StringComparison.Ordinal)]);
        builder.Append('<').AppendJoin(", ", type.GetGenericArguments().Select(Name)).Append('>');
        return builder.ToString();
    }
}
