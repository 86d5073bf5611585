using System.Text;

namespace Ovnsim.Ovsdb.Nbctl;

/// <summary>One word of a command line, after quote removal, with the line it started on.</summary>
/// <param name="Text">The word.</param>
/// <param name="Line">The line number, counting from 1.</param>
public readonly record struct Word(string Text, int Line);

/// <summary>
/// Splits a command file into command lines of words, with the quoting rules of the shell the commands are copied
/// from (bash): <c>'…'</c> is literal; in <c>"…"</c> a backslash escapes only <c>$ ` " \</c> and a new-line; outside
/// quotes a backslash escapes any character and a backslash-new-line continues the line; <c>#</c> starting a word
/// starts a comment. Shell expansions (<c>$VAR</c>, <c>$(…)</c>, backquotes) and operators (<c>; | &amp; &lt; &gt;</c>)
/// are not run: they are errors naming the line, so a file never means something other than what bash would run.
/// </summary>
public static class CommandFileLexer
{
    /// <summary>Splits <paramref name="text"/> into command lines; <paramref name="file"/> names it in errors.</summary>
    public static List<List<Word>> Split(string text, string file)
    {
        var lines = new List<List<Word>>();
        var words = new List<Word>();
        var current = new StringBuilder();
        bool inWord = false;
        int wordLine = 1;
        int line = 1;
        int i = 0;

        void EndWord()
        {
            if (inWord)
            {
                words.Add(new Word(current.ToString(), wordLine));
                current.Clear();
                inWord = false;
            }
        }

        void StartWord()
        {
            if (!inWord)
            {
                inWord = true;
                wordLine = line;
            }
        }

        void EndLine()
        {
            EndWord();
            if (words.Count > 0)
            {
                lines.Add(words);
                words = [];
            }
        }

        while (i < text.Length)
        {
            char c = text[i];
            switch (c)
            {
                case '\n':
                    EndLine();
                    line++;
                    i++;
                    break;
                case ' ' or '\t' or '\r':
                    EndWord();
                    i++;
                    break;
                case '#' when !inWord:
                    while (i < text.Length && text[i] != '\n')
                    {
                        i++;
                    }

                    break;
                case '\\':
                    if (i + 1 < text.Length && text[i + 1] == '\n')
                    {
                        line++;
                        i += 2;
                    }
                    else if (i + 2 < text.Length && text[i + 1] == '\r' && text[i + 2] == '\n')
                    {
                        line++;
                        i += 3;
                    }
                    else if (i + 1 < text.Length)
                    {
                        StartWord();
                        current.Append(text[i + 1]);
                        i += 2;
                    }
                    else
                    {
                        throw new NbctlException(file, line, null, "backslash at the end of the file");
                    }

                    break;
                case '\'':
                    {
                        StartWord();
                        int close = text.IndexOf('\'', i + 1);
                        if (close < 0)
                        {
                            throw new NbctlException(file, line, null, "unterminated single quote");
                        }

                        string quoted = text[(i + 1)..close];
                        current.Append(quoted);
                        line += quoted.Count(ch => ch == '\n');
                        i = close + 1;
                        break;
                    }

                case '"':
                    StartWord();
                    i = ReadDoubleQuoted(text, i + 1, current, ref line, file);
                    break;
                case '$' or '`':
                    throw new NbctlException(file, line, Peek(text, i),
                        "shell expansions are not run; write the value itself (expand variables first)");
                case ';' or '|' or '&' or '<' or '>' or '(' or ')':
                    throw new NbctlException(file, line, Peek(text, i),
                        $"unquoted '{c}' is a shell operator; put one command per line and quote this character");
                default:
                    StartWord();
                    current.Append(c);
                    i++;
                    break;
            }
        }

        EndLine();
        return lines;
    }

    private static int ReadDoubleQuoted(string text, int i, StringBuilder current, ref int line, string file)
    {
        int startLine = line;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '"')
            {
                return i + 1;
            }

            if (c == '\\' && i + 1 < text.Length)
            {
                char next = text[i + 1];
                if (next == '\n')
                {
                    line++;
                    i += 2;
                    continue;
                }

                if (next is '$' or '`' or '"' or '\\')
                {
                    current.Append(next);
                    i += 2;
                    continue;
                }

                current.Append('\\');
                i++;
                continue;
            }

            if (c is '$' or '`')
            {
                throw new NbctlException(file, line, Peek(text, i),
                    "shell expansions are not run, even in double quotes; write the value, or use single quotes");
            }

            if (c == '\n')
            {
                line++;
            }

            current.Append(c);
            i++;
        }

        throw new NbctlException(file, startLine, null, "unterminated double quote");
    }

    private static string Peek(string text, int i)
    {
        int end = i + 1;
        while (end < text.Length && !char.IsWhiteSpace(text[end]) && end - i < 30)
        {
            end++;
        }

        return text[i..end];
    }
}
