import ImaginAIServer
print(ServerVersion.version)
