import torch


class Net(torch.nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x.item()
        return x.cuda()
