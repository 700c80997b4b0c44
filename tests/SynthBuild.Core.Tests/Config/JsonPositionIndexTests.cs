using System.Text.Json;
using Newtonsoft.Json.Linq;
using SynthBuild.Core.Config;

namespace SynthBuild.Core.Tests.Config;

public class JsonPositionIndexTests
{
    [Fact]
    public void Keys_and_values_are_found_by_path_in_characters_not_bytes()
    {
        // "é" is two UTF-8 bytes: the column of what follows it counts it once.
        string text = "{\n  \"name\": \"é\", \"categories\": [ { \"shape\": \"box\" } ],\n  // comment\n  \"seed\": 3\n}";
        var (index, error) = JsonPositionIndex.Build(text, "c.json");
        Assert.Null(error);
        Assert.Equal((2, 3), (index!.Key("name").Line, index.Key("name").Column));
        Assert.Equal((2, 11), (index.Value("name").Line, index.Value("name").Column));
        Assert.Equal((2, 16), (index.Key("categories").Line, index.Key("categories").Column));
        Assert.Equal((2, 32), (index.Value("categories[0]").Line, index.Value("categories[0]").Column));
        Assert.Equal((2, 43), (index.Value("categories[0].shape").Line, index.Value("categories[0].shape").Column));
        Assert.Equal((4, 11), (index.Value("seed").Line, index.Value("seed").Column));
        Assert.Equal("c.json", index.Value("seed").File);
    }

    [Fact]
    public void A_duplicate_key_is_a_syntax_error_at_its_colon_and_a_syntax_error_comes_first()
    {
        var (_, dup) = JsonPositionIndex.Build("{ \"a\": 1,\n  \"a\" : 2 }", "c.json");
        Assert.Equal(("SYN1001", 2, 7), (dup!.Code, dup.Line, dup.Column));
        var (_, syntax) = JsonPositionIndex.Build("{ \"a\": 1, \"a\": 2, \"b\": }", "c.json");
        Assert.Contains("invalid start of a value", syntax!.Message);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("-5")]
    [InlineData("1.5")]
    [InlineData("1.50")]
    [InlineData("2.0")]
    [InlineData("1e3")]
    [InlineData("-2.5E-3")]
    [InlineData("0.1")]
    [InlineData("\"ten\"")]
    [InlineData("true")]
    [InlineData("null")]
    public void Values_are_described_as_the_schema_validator_prints_them(string literal)
    {
        // Diagnostics kept their wording when binding moved off Newtonsoft: "found 1.5", "found \"ten\"".
        using var doc = JsonDocument.Parse(literal);
        JToken token = JToken.Parse(literal);
        string expected = token.Type switch
        {
            JTokenType.String => $"\"{token.Value<string>()}\"",
            JTokenType.Boolean => token.ToString(Newtonsoft.Json.Formatting.None).ToLowerInvariant(),
            _ => token.ToString(Newtonsoft.Json.Formatting.None),
        };
        Assert.Equal(expected, new ConfigNode(doc.RootElement, "").Describe());
    }
}
